package io.jsysbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcessIdentityTest {
    @Test
    void startTicksCountFieldsAfterTheLastParenthesis() {
        String stat = "4242 (we ird) name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assertEquals(987654, ProcessIdentity.parseStartTicks(stat));
    }

    @Test
    void aProcessIsRunningUntilItsPidNamesAnotherStart() throws Exception {
        ProcessIdentity self = ProcessIdentity.of(ProcessHandle.current().pid()).orElseThrow();
        assertTrue(self.startTicks() > 0);
        assertTrue(self.isRunning());
        assertFalse(new ProcessIdentity(self.pid(), self.startTicks() + 1).isRunning(), "a later process, same pid");
        assertTrue(new ProcessIdentity(self.pid(), 0).isRunning(), "start not known: the pid is trusted");

        Process child = new ProcessBuilder("true").start();
        ProcessIdentity gone = new ProcessIdentity(child.pid(), 1);
        child.waitFor();
        assertFalse(gone.isRunning());
        assertEquals(Optional.empty(), ProcessIdentity.of(child.pid()));
        assertEquals(-1, ProcessIdentity.startTicks(0));
    }
}
