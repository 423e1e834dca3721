package io.jsysbox.installer;

import io.jsysbox.linux.MountInfo;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * jsysbox-fs's FUSE mount as the host sees it. A mount whose daemon died stays in the mount table and answers every
 * access, the containers' bind mounts of its files included, with ENOTCONN.
 */
final class FsMount {
    private static final Path POINT = HostLayout.FS_MOUNT;

    private FsMount() {}

    /** What is mounted at the mount point, in mountinfo order (the last is on top). */
    static List<String> types() {
        return typesAt(HostFiles.mountinfo(), POINT);
    }

    /** The types mounted at {@code point} in {@code mountinfo}'s text, bottom to top. Pure. */
    static List<String> typesAt(String mountinfo, Path point) {
        return MountInfo.parse(mountinfo).at(point).stream()
                .map(MountInfo.Entry::fsType)
                .toList();
    }

    /**
     * Reads a virtual file in a child process: a FUSE read nobody serves blocks its reader, and only SIGKILL frees it.
     */
    static Commands.Result read() {
        return Commands.run(
                Duration.ofSeconds(5),
                List.of("cat", POINT.resolve("proc/uptime").toString()));
    }

    static Finding examine() {
        List<String> types = types();
        return Finding.fsMount(POINT, types, types.isEmpty() ? new Commands.Result(1, "", "not mounted") : read());
    }

    /** Whether {@code read} failed because the daemon behind the mount is gone. Pure. */
    static boolean disconnected(Commands.Result read) {
        return !read.ok() && read.reason().contains("Transport endpoint is not connected");
    }

    /** Detaches a jsysbox-fs mount whose daemon is gone: one that still answers is left alone. */
    static void detachIfDisconnected(PrintStream out) {
        List<String> types = types();
        if (!types.isEmpty() && types.getLast().equals(Finding.FS_TYPE) && disconnected(read())) {
            detach(out);
        }
    }

    /**
     * Detaches the jsysbox-fs mounts at the top of the stack at the mount point, for after jsysbox-fs stopped (a daemon
     * whose connection its supervisor held leaves the mount for the next one, and one that was killed leaves it too).
     * A mount someone else stacked on top stays, and all below it.
     */
    static void detach(PrintStream out) {
        List<String> types = types();
        int ours = 0;
        while (ours < types.size() && types.get(types.size() - 1 - ours).equals(Finding.FS_TYPE)) {
            ours++;
        }
        for (int i = 0; i < ours; i++) {
            // Each lazy unmount takes the top one off the stack.
            Commands.Result umount = Commands.run("umount", "--lazy", POINT.toString());
            if (!umount.ok()) {
                throw new InstallException("cannot detach the jsysbox-fs mount at " + POINT + ": " + umount.reason());
            }
        }
        if (ours > 0) {
            out.println(
                    POINT + ": detached " + (ours == 1 ? "the mount" : ours + " mounts") + " jsysbox-fs left behind");
        }
    }
}
