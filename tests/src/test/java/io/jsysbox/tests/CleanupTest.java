package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Removing a system container leaves nothing of it on the host. */
@EndToEnd
class CleanupTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void removedContainerLeavesNoMountsCgroupsRangeOrDirs(@TempDir Path bindSource) throws IOException {
        Files.writeString(bindSource.resolve("file"), "data\n");
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        // The busiest shape: a bind mount to ID-map and an inner container with its own cgroups and mounts.
        String id = docker.startDind("-v", bindSource + ":/x");
        Docker.execOk(id, "docker", "run", "-d", "busybox", "sleep", "1000000");
        Leftovers leftovers = Leftovers.of(id).withMountsBefore(mountsBefore);
        assertFalse(leftovers.cgroupDirs().isEmpty(), "found no cgroup dir of the live container: the search is blind");
        assertFalse(
                Jsysbox.statusLine(Jsysbox.status().assertOk().stdout(), id).isEmpty(),
                "`jsysbox status` does not list the live container");

        Docker.remove(id);

        leftovers.awaitNone();
    }
}
