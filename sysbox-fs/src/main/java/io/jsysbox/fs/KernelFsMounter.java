package io.jsysbox.fs;

import io.jsysbox.fs.SeccompSupervisor.Answer;
import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.LockedMounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the procfs and sysfs mounts a system container's processes ask for (an inner runtime's for its container,
 * {@code unshare --mount-proc}, a chroot's): the procfs of the caller's pid namespace or the sysfs of its network
 * namespace, with the container's virtual files (meminfo, uptime, sysctls…, product_uuid) on it, their mounts locked
 * ({@link LockedMounts}). The kernel itself refuses those mounts inside: the container's /proc and /sys have locked
 * files on them, so no procfs or sysfs there is "fully visible".
 *
 * <p>How, for a mount(2) of type proc or sysfs the seccomp agent was notified of:
 * <ol>
 * <li>the caller's target, namespaces, root and working directory are opened from the host's /proc, then the
 * notification is checked live: they are the caller's, whatever its pid names later;
 * <li>the caller must be allowed the mount itself: CAP_SYS_ADMIN in the user namespace owning both its mount and its
 * pid (network) namespace (otherwise the kernel answers it);
 * <li>{@code nsenter --pid} ({@code --net}) starts {@code mount -t proc} ({@code sysfs}) in the caller's namespace (a
 * procfs shows the pid namespace of the process that mounts it, and a JVM cannot fork into one), on a tmpfs in a
 * private mount namespace;
 * <li>a thread clones that mount, enters the caller's mount namespace, attaches it on the target, the virtual files on
 * it, and locks them.
 * </ol>
 * Nothing is followed in the container's tree from the host but through openat2 confined to the caller's root. Any
 * other mount, and one this cannot make, is left to the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE), which then finds
 * the locked files and refuses a fresh procfs: no procfs without the virtual files is ever made inside.
 */
final class KernelFsMounter {
    private static final Logger LOG = LoggerFactory.getLogger(KernelFsMounter.class);

    /** A file system this makes: its type, the namespace its content follows, where a container has it. */
    enum KernelFs {
        PROC("proc", "pid", "/proc/"),
        SYSFS("sysfs", "net", "/sys/");

        final String type;
        final String namespace;
        final String prefix;

        KernelFs(String type, String namespace, String prefix) {
            this.type = type;
            this.namespace = namespace;
            this.prefix = prefix;
        }

        static Optional<KernelFs> ofType(String type) {
            for (KernelFs fs : values()) {
                if (fs.type.equals(type)) {
                    return Optional.of(fs);
                }
            }
            return Optional.empty();
        }
    }

    /** The flags that make mount(2) something else than a new mount: those are the kernel's. */
    private static final long NOT_A_NEW_MOUNT = Linux.MS_REMOUNT
            | Linux.MS_BIND
            | Linux.MS_MOVE
            | (1 << 17)
            | (1 << 18)
            | (1 << 19)
            | (1 << 20) /* MS_UNBINDABLE, _PRIVATE, _SLAVE, _SHARED: propagation */;

    private static final int CAP_SYS_ADMIN = 21;
    private static final long HELPER_SECONDS = 10;
    /** util-linux's, where Debian and Ubuntu put them with and without a merged /usr. */
    private static final List<String> NSENTER = List.of("/usr/bin/nsenter", "/bin/nsenter");

    private static final List<String> MOUNT = List.of("/usr/bin/mount", "/bin/mount");

    /** The caller's memory, and whether it still waits for this notification (SECCOMP_IOCTL_NOTIF_ID_VALID). */
    interface Caller {
        int pid();

        /** The NUL-terminated string at {@code address}, at most {@code max} bytes; empty when it cannot be read. */
        Optional<String> string(long address, int max);

        boolean stillWaiting();
    }

    /** A registered container's files below {@code fs.prefix}: its path → jsysbox-fs file; empty if unknown. */
    interface VirtualFiles {
        Optional<Map<String, Path>> of(String containerId, KernelFs fs);
    }

    private final Path staging;
    private final String nsenter;
    private final String mountCommand;
    private final VirtualFiles files;

    KernelFsMounter(Path staging, String nsenter, String mountCommand, VirtualFiles files) {
        this.staging = staging;
        this.nsenter = nsenter;
        this.mountCommand = mountCommand;
        this.files = files;
    }

    /**
     * Makes mounts through {@code nsenter} and {@code mount} (util-linux), covering {@code staging}, a directory that
     * exists, with a tmpfs in a private mount namespace while it makes one.
     */
    static KernelFsMounter using(Path staging, VirtualFiles files) throws IOException {
        return new KernelFsMounter(staging, executable(NSENTER), executable(MOUNT), files);
    }

    private static String executable(List<String> candidates) throws IOException {
        for (String candidate : candidates) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IOException("none of " + candidates + " is there: util-linux is needed to make procfs and sysfs "
                + "mounts for containers (apt-get install util-linux mount)");
    }

    /** Answers mount(2) {@code args} of {@code caller}, a process of container {@code containerId}. */
    Answer mount(String containerId, Caller caller, long[] args) {
        long flags = args[3];
        if ((flags & NOT_A_NEW_MOUNT) != 0 || args[2] == 0) {
            return Answer.CONTINUE;
        }
        Optional<KernelFs> fs = caller.string(args[2], 16).flatMap(KernelFs::ofType);
        if (fs.isEmpty()) {
            return Answer.CONTINUE;
        }
        Optional<String> target = caller.string(args[1], 4096);
        Optional<String> data = args[4] == 0 ? Optional.of("") : caller.string(args[4], 1024);
        if (target.isEmpty() || data.isEmpty()) {
            return Answer.error(Errno.EFAULT);
        }
        Optional<String> options = KernelFsOptions.of(fs.get(), flags, data.get());
        Optional<Map<String, Path>> virtualFiles = files.of(containerId, fs.get());
        if (options.isEmpty() || virtualFiles.isEmpty()) {
            return Answer.CONTINUE;
        }
        try {
            return mount(caller, fs.get(), target.get(), options.get(), virtualFiles.get());
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "container {}: making the {} process {} mounts at {} failed ({}): the kernel answers it",
                    containerId,
                    fs.get().type,
                    caller.pid(),
                    target.get(),
                    e.getMessage());
            return Answer.CONTINUE;
        }
    }

    private Answer mount(Caller caller, KernelFs fs, String target, String options, Map<String, Path> virtualFiles)
            throws IOException {
        String process = "/proc/" + caller.pid();
        try (Fd hostProc = Linux.openat2(null, "/proc", Linux.O_PATH | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS);
                // The host's /proc: its ns links are the kernel's, naming the caller's namespaces.
                Fd mountNamespace = Linux.openat2(null, process + "/ns/mnt", Linux.O_RDONLY, 0);
                Fd contentNamespace = Linux.openat2(null, process + "/ns/" + fs.namespace, Linux.O_RDONLY, 0)) {
            Fd mountpoint;
            try {
                mountpoint = CallerPath.open(caller.pid(), target, Linux.O_PATH | Linux.O_DIRECTORY);
            } catch (LinuxException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                    return Answer.error(e.errno());
                }
                throw e;
            }
            try (mountpoint) {
                if (!mayMount(process, fs)) {
                    return Answer.CONTINUE;
                }
                if (!caller.stillWaiting()) {
                    return Answer.NONE; // what was opened may be another process's
                }
                try (Fd mount = mountOf(fs, contentNamespace, options)) {
                    attach(mount, fs, mountpoint, mountNamespace, hostProc, virtualFiles);
                }
            }
        }
        return caller.stillWaiting() ? Answer.SUCCESS : Answer.NONE;
    }

    /** Whether the kernel would let the caller mount {@code fs}, but for mount_too_revealing. */
    private static boolean mayMount(String process, KernelFs fs) throws IOException {
        Linux.Stat userNamespace = Linux.namespace(Path.of(process, "ns", "user"));
        return hasCapability(Files.readString(Path.of(process, "status")), CAP_SYS_ADMIN)
                && same(userNamespace, Linux.owningUserNamespace(Path.of(process, "ns", "mnt")))
                && same(userNamespace, Linux.owningUserNamespace(Path.of(process, "ns", fs.namespace)));
    }

    private static boolean same(Linux.Stat a, Linux.Stat b) {
        return a.dev() == b.dev() && a.ino() == b.ino();
    }

    /** Whether /proc/PID/status text {@code status} has capability {@code capability} in CapEff. */
    static boolean hasCapability(String status, int capability) {
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(
                                                line.substring("CapEff:".length())
                                                        .trim(),
                                                16)
                                        >>> capability
                                & 1)
                        == 1;
            }
        }
        return false;
    }

    /**
     * A detached {@code fs} of {@code namespace}, made on a thread of its own in a private copy of the host's mount
     * namespace: a tmpfs over {@link #staging} there, {@code nsenter --pid (--net) … mount} on a directory in it (the
     * helper inherits the thread's mount namespace), then an open_tree clone. The namespace, tmpfs and mount go with
     * the
     * thread: nothing shows in the host's mount table, nothing is left if this daemon dies meanwhile.
     */
    private Fd mountOf(KernelFs fs, Fd namespace, String options) throws IOException {
        AtomicReference<Fd> made = new AtomicReference<>();
        AtomicReference<IOException> failure = new AtomicReference<>();
        Thread staged = Thread.ofPlatform().name(fs.type + "-staging").start(() -> {
            try {
                made.set(mountInPrivateNamespace(fs, namespace, options));
            } catch (IOException e) {
                failure.set(e);
            } catch (RuntimeException e) {
                failure.set(new IOException(e));
            }
        });
        try {
            staged.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return made.get();
    }

    private Fd mountInPrivateNamespace(KernelFs fs, Fd namespace, String options) throws IOException {
        Linux.unshareMountNamespace();
        // Private first: a mount on a copy of a shared mount would propagate back to the host's.
        Linux.mount("none", Path.of("/"), null, Linux.MS_REC | Linux.MS_PRIVATE, null);
        Linux.mount(
                "tmpfs", staging, "tmpfs", Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC, "mode=0700,size=64k");
        Path dir = Files.createDirectory(staging.resolve(fs.type));
        String held = "/proc/" + ProcessHandle.current().pid() + "/fd/" + namespace.value();
        Process helper = new ProcessBuilder(
                        nsenter,
                        "--" + fs.namespace + "=" + held,
                        "--",
                        mountCommand,
                        "-t",
                        fs.type,
                        "-o",
                        options,
                        fs.type,
                        dir.toString())
                .redirectErrorStream(true)
                .start();
        helper.getOutputStream().close();
        try {
            if (!helper.waitFor(HELPER_SECONDS, TimeUnit.SECONDS)) {
                helper.destroyForcibly();
                throw new IOException("mount -t " + fs.type + " did not end within " + HELPER_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            helper.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (helper.exitValue() != 0) {
            String output = new String(helper.getInputStream().readAllBytes()).trim();
            throw new IOException("mount -t " + fs.type + " -o " + options + ": " + output);
        }
        return Linux.openTreeClone(dir, false);
    }

    /**
     * On a thread of its own that enters the caller's mount namespace: {@code mount} on {@code mountpoint}, the
     * virtual files on it, then locked. Undone when it fails half-way.
     */
    private static void attach(
            Fd mount, KernelFs fs, Fd mountpoint, Fd mountNamespace, Fd hostProc, Map<String, Path> virtualFiles)
            throws IOException {
        List<Fd> clones = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try {
            clones.addAll(Linux.openTreeClones(new ArrayList<>(virtualFiles.values())));
            for (String file : virtualFiles.keySet()) {
                names.add(file.substring(fs.prefix.length()));
            }
            AtomicReference<IOException> failure = new AtomicReference<>();
            Thread inside = Thread.ofPlatform().name(fs.type + "-mount").start(() -> {
                try {
                    Linux.enterMountNamespace(mountNamespace);
                    Linux.moveMount(mount, mountpoint);
                    try {
                        for (int i = 0; i < names.size(); i++) {
                            try (Fd file = Linux.openat2(
                                    mount,
                                    names.get(i),
                                    Linux.O_PATH,
                                    Linux.RESOLVE_BENEATH | Linux.RESOLVE_NO_SYMLINKS)) {
                                Linux.moveMount(clones.get(i), file);
                            } catch (LinuxException e) {
                                if (e.errno() != Errno.ENOENT) {
                                    throw e; // a sysctl or device this kernel does not have
                                }
                            }
                        }
                        LockedMounts.lockSubmounts(
                                mount,
                                mountNamespace,
                                hostProc,
                                () -> Linux.openat2(hostProc, "thread-self/fd/" + mountpoint.value(), Linux.O_PATH, 0));
                    } catch (IOException | RuntimeException e) {
                        try {
                            Linux.enterMountNamespace(mountNamespace);
                            Linux.umountDetach(mount, hostProc);
                        } catch (LinuxException ignored) {
                            // already gone (replaced by its locked copy), or the namespace with it
                        }
                        throw e;
                    }
                } catch (IOException e) {
                    failure.set(e);
                } catch (RuntimeException e) {
                    failure.set(new IOException(e));
                }
            });
            inside.join();
            if (failure.get() != null) {
                throw failure.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            clones.forEach(Fd::close);
        }
    }
}
