package io.jsysbox.fs;

import io.jsysbox.fs.SeccompSupervisor.Answer;
import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Keeps a container's mounts as the runtime made them, as Sysbox's immutable mounts do: umount2 and {@code mount
 * --move} of one, and a remount that would make one it made read-only writable, fail with EPERM. Which mounts: those
 * the runtime protected ({@link ProtectedMounts}: runc's, the volumes, the special mounts, in the container's own mount
 * namespace), and the virtual files wherever they are bound (an inner container's /proc too). Every other call goes on
 * to the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE), as does one whose path cannot be opened: the kernel has its own
 * answer for it.
 *
 * <p>This is a policy with a clear error, not the boundary: the kernel re-reads the path after CONTINUE, so a caller
 * that swaps a symlink under it from another thread could get a call through. What must hold is the kernel's: the
 * virtual files are locked ({@code LockedMounts}: EINVAL for such a caller), and a read-only volume bound from the host
 * keeps its read-only flag locked (MNT_LOCK_READONLY).
 */
final class MountGuard {
    /** umount2's flag to not follow a last symlink. */
    private static final long UMOUNT_NOFOLLOW = 8;

    private static final int PATH_MAX = 4096;

    /** The protected mounts of a registered container; empty when unknown or not protected yet. */
    @FunctionalInterface
    interface Protections {
        Optional<ProtectedMounts> of(String containerId);
    }

    private final Protections protections;
    private final long virtualFileDevice;

    /** Guards {@code protections}, and every file on the device {@code virtualFileDevice} (jsysbox-fs's mount). */
    MountGuard(Protections protections, long virtualFileDevice) {
        this.protections = protections;
        this.virtualFileDevice = virtualFileDevice;
    }

    /** Answers umount2(target = args[0], flags = args[1]) of {@code caller}, a process of {@code containerId}. */
    Answer umount(String containerId, KernelFsMounter.Caller caller, long[] args) {
        boolean noFollow = (args[1] & UMOUNT_NOFOLLOW) != 0;
        return refused(containerId, caller, args[0], noFollow, false) ? Answer.error(Errno.EPERM) : Answer.CONTINUE;
    }

    /** Whether this answers mount(2) with these {@code flags}: a move, or a remount that does not ask read-only. */
    static boolean guards(long flags) {
        return (flags & Linux.MS_MOVE) != 0 || (flags & Linux.MS_REMOUNT) != 0 && (flags & Linux.MS_RDONLY) == 0;
    }

    /**
     * Answers mount(source = args[0], target = args[1], …, flags = args[3]) when {@link #guards} its flags: a move of
     * the source, a remount of the target that would make it writable.
     */
    Answer mount(String containerId, KernelFsMounter.Caller caller, long[] args) {
        boolean move = (args[3] & Linux.MS_MOVE) != 0;
        boolean refused = move
                ? refused(containerId, caller, args[0], false, false)
                : refused(containerId, caller, args[1], false, true);
        return refused ? Answer.error(Errno.EPERM) : Answer.CONTINUE;
    }

    /**
     * Whether the path at {@code address} in the caller is the root of a guarded mount: of one the runtime made
     * read-only, when {@code madeWritable}.
     */
    private boolean refused(
            String containerId, KernelFsMounter.Caller caller, long address, boolean noFollow, boolean madeWritable) {
        if (address == 0) {
            return false;
        }
        Optional<String> path = caller.string(address, PATH_MAX);
        if (path.isEmpty()) {
            return false;
        }
        try (Fd target = CallerPath.open(caller.pid(), path.get(), Linux.O_PATH | (noFollow ? Linux.O_NOFOLLOW : 0))) {
            Linux.Stat stat = Linux.stat(target);
            if (!stat.mountRoot()) {
                return false;
            }
            if (!madeWritable && stat.dev() == virtualFileDevice) {
                return true;
            }
            Optional<ProtectedMounts> mounts = protections.of(containerId);
            if (mounts.isEmpty()) {
                return false;
            }
            Linux.Stat namespace = Linux.namespace(Path.of("/proc/" + caller.pid() + "/ns/mnt"));
            return madeWritable
                    ? mounts.get().containsReadOnly(namespace.dev(), namespace.ino(), stat.mountId())
                    : mounts.get().contains(namespace.dev(), namespace.ino(), stat.mountId());
        } catch (LinuxException e) {
            return false;
        }
    }
}
