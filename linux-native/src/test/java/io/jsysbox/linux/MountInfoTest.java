package io.jsysbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MountInfoTest {
    private static final String TABLE = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 22 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            31 22 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
            32 22 0:28 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
            33 22 0:29 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
            40 22 0:50 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/AAA:/var/lib/docker/overlay2/l/BBB,upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work
            41 40 0:51 / /var/lib/docker/overlay2/abc/merged rw - tmpfs tmpfs rw
            50 22 254:0 /home/x /mnt/with\\040space rw - ext4 /dev/vda rw
            60 22 0:52 / /run/jsysbox/mnt/3/rootfs rw - overlay overlay rw,lowerdir=x
            61 22 0:53 / /run/jsysbox/mnt/3/b0 rw - ext4 /dev/vda rw
            62 22 0:54 / /run/jsysbox/mnt/30 rw - ext4 /dev/vda rw
            """;

    @Test
    void topmostMountWins() {
        MountInfo info = MountInfo.parse(TABLE);
        assertEquals(
                "tmpfs",
                info.topmostAt(Path.of("/var/lib/docker/overlay2/abc/merged"))
                        .orElseThrow()
                        .fsType());
        assertEquals(Optional.empty(), info.topmostAt(Path.of("/var/lib/docker")));
    }

    @Test
    void aMountSitsOnWhatItWasMountedOnUnlessThatWasCovered() {
        MountInfo info = MountInfo.parse("""
                92 1 0:5 / / rw - overlay overlay rw
                93 92 0:47 / /proc rw - proc proc rw
                69 93 0:40 /c/proc/meminfo /proc/meminfo rw - fuse.jsysbox-fs jsysbox-fs rw
                70 69 0:40 /c/proc/meminfo /proc/meminfo rw - fuse.jsysbox-fs jsysbox-fs rw
                94 93 0:48 / /proc rw - proc proc rw
                """);
        MountInfo.Entry oldProc = info.entries().get(1);
        MountInfo.Entry stacked = info.topmostAt(Path.of("/proc/meminfo")).orElseThrow();
        assertTrue(info.sitsOn(stacked, oldProc), "stacked on a mount that sits on the old /proc");
        assertFalse(
                info.sitsOn(stacked, info.topmostAt(Path.of("/proc")).orElseThrow()),
                "a procfs mounted over /proc later covers it");
    }

    @Test
    void unescapesOctal() {
        MountInfo.Entry e =
                MountInfo.parse(TABLE).topmostAt(Path.of("/mnt/with space")).orElseThrow();
        assertEquals("/home/x", e.root());
    }

    @Test
    void mountPointsUnderADirDeepestFirst() {
        assertEquals(
                List.of(Path.of("/run/jsysbox/mnt/3/b0"), Path.of("/run/jsysbox/mnt/3/rootfs")),
                MountInfo.parse(TABLE).mountPointsUnder(Path.of("/run/jsysbox/mnt/3")));
    }

    @Test
    void superOptions() {
        MountInfo.Entry systemd = MountInfo.parse(TABLE).ofType("cgroup").get(2);
        assertTrue(systemd.hasSuperOption("name=systemd"));
    }

    @Test
    void malformedLineIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> MountInfo.parse("1 2 3\n"));
    }
}
