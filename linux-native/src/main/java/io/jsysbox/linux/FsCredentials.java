package io.jsysbox.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            MemorySegment header = arena.allocate(8, 4); // struct __user_cap_header_struct: version, pid
            MemorySegment saved = arena.allocate(24, 4); // struct __user_cap_data_struct[2] (version 3)
            header.set(ValueLayout.JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
            header.set(ValueLayout.JAVA_INT, 4, 0);
            int result = Libc.capget(state, header, saved);
            if (result < 0) {
                throw new LinuxException("capget", -result);
            }
            int previousGid = Libc.setfsgid(state, gid);
            int previousUid = Libc.setfsuid(state, uid);
            try {
                // Leaving fsuid 0 drops CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER… from the effective set: restore it.
                restore(state, header, saved);
                return action.run();
            } finally {
                Libc.setfsuid(state, previousUid);
                Libc.setfsgid(state, previousGid);
                restore(state, header, saved);
            }
        }
    }

    private static void restore(MemorySegment state, MemorySegment header, MemorySegment caps) throws LinuxException {
        header.set(ValueLayout.JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
        header.set(ValueLayout.JAVA_INT, 4, 0);
        int result = Libc.capset(state, header, caps);
        if (result < 0) {
            throw new LinuxException("capset", -result);
        }
    }
}
