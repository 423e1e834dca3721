package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The manager persists its allocations: a restart neither forgets a live container nor hands its range out again. */
@EndToEnd
class ManagerRestartTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void managerRestartKeepsAllocationsOfLiveContainers() {
        String id = docker.runDetached("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "sleep", "1000000");
        IdRange range = InitProcess.of(id).uidRange();
        assertListedWith(id, range);

        Jsysbox.restartManager();

        assertListedWith(id, range);
        assertEquals("alive", Docker.execOk(id, "echo", "alive"), "exec after the manager restarted");
        String next = docker.runDetached("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "sleep", "1000000");
        IdRange nextRange = InitProcess.of(next).uidRange();
        assertFalse(range.overlaps(nextRange), "the restarted manager handed out a live range again: " + nextRange);

        Docker.remove(id);
        Leftovers.of(id).awaitNone();
        assertListedWith(next, nextRange);
    }

    private static void assertListedWith(String id, IdRange range) {
        String status = Jsysbox.status().assertOk().stdout();
        String line = Jsysbox.statusLine(status, id)
                .orElseThrow(() ->
                        new AssertionError("`jsysbox status` does not list " + Docker.shortId(id) + ":\n" + status));
        assertTrue(
                Jsysbox.showsRangeStart(line, range.start()), "status line does not show range " + range + ": " + line);
    }
}
