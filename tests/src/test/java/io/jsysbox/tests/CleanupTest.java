package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
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
        Set<String> mountsBefore = jsysboxMountPoints();
        // The busiest shape: a bind mount to ID-map and an inner container with its own cgroups and mounts.
        String id = docker.startDind("-v", bindSource + ":/x");
        Docker.execOk(id, "docker", "run", "-d", "busybox", "sleep", "1000000");
        Set<String> madeForIt = jsysboxMountPoints();
        madeForIt.removeAll(mountsBefore);
        Leftovers leftovers = Leftovers.of(id).withMountPoints(madeForIt);
        assertFalse(leftovers.cgroupDirs().isEmpty(), "found no cgroup dir of the live container: the search is blind");
        assertFalse(Jsysbox.statusLine(Jsysbox.status().assertOk().stdout(), id).isEmpty(),
                "`jsysbox status` does not list the live container");

        Docker.remove(id);

        leftovers.awaitNone();
    }

    /** Host mount points under /run/jsysbox/mnt right now. */
    private static Set<String> jsysboxMountPoints() throws IOException {
        Set<String> points = new HashSet<>();
        for (String point : HostFiles.mountPoints(Files.readString(Path.of("/proc/self/mountinfo")))) {
            if (point.startsWith(Jsysbox.MOUNT_DIR + "/")) {
                points.add(point);
            }
        }
        return points;
    }
}
