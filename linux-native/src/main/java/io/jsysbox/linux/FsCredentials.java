package io.jsysbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;

/**
 * Runs an action with the calling thread's filesystem uid/gid switched, keeping its capabilities.
 * Why: overlayfs records its mounter's credentials and creates its work dir and copy-ups with them; a
 * mounter with fsuid R writes on-disk uid 0 through a layer ID-mapped 0→R. Linux credentials are
 * per thread, so this affects only the calling (platform) thread, and only for the duration of the action.
 */
public final class FsCredentials {
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    /** A thing to do with switched credentials. */
    @FunctionalInterface
    public interface Action<T> {
        T run() throws IOException;
    }

    private FsCredentials() {}

    public static <T> T withFsIds(int uid, int gid, Action<T> action) throws IOException {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("fs credentials are per OS thread; call from a platform thread");
        }
        try (Memory header = new Memory(8);
                Memory saved = new Memory(24)) {
            header.setInt(0, LINUX_CAPABILITY_VERSION_3);
            header.setInt(4, 0);
            if (LibC.INSTANCE.capget(header, saved) != 0) {
                throw new LinuxException("capget", Native.getLastError());
            }
            int previousGid = LibC.INSTANCE.setfsgid(gid);
            int previousUid = LibC.INSTANCE.setfsuid(uid);
            try {
                // Leaving fsuid 0 drops CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER… from the effective set: restore it.
                restore(header, saved);
                return action.run();
            } finally {
                LibC.INSTANCE.setfsuid(previousUid);
                LibC.INSTANCE.setfsgid(previousGid);
                restore(header, saved);
            }
        }
    }

    private static void restore(Memory header, Memory caps) throws LinuxException {
        header.setInt(0, LINUX_CAPABILITY_VERSION_3);
        header.setInt(4, 0);
        if (LibC.INSTANCE.capset(header, caps) != 0) {
            throw new LinuxException("capset", Native.getLastError());
        }
    }
}
