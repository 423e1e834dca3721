package io.jsysbox.fs;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Libc;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the seccomp notifications of one notify descriptor (one container's init and what descends from it, inner
 * containers included, or one exec'd process), on its own platform thread until no process uses the filter.
 * Why a thread per descriptor: the thread waits in poll(2) and ioctl(2), native calls that would pin a virtual
 * thread's carrier anyway; there is one descriptor per running container plus one per live exec, and a slow
 * container (its memory being written) never delays another's.
 *
 * <p>Per notification: only sysinfo and mount from x86_64 code are answered (the filter notifies nothing else; an i386
 * caller's struct sysinfo has another layout, and its procfs mounts are refused by the kernel). A mount is {@link
 * KernelFsMounter}'s; the rest of this is sysinfo's. The container's struct is written into the caller at args[0] with
 * process_vm_writev(2), which honours page protections and answers EFAULT where the kernel's own copy would fail: the
 * caller then gets EFAULT. The notification is checked live (SECCOMP_IOCTL_NOTIF_ID_VALID) before the write and after
 * it: the pid it names is the caller's only while the caller waits in the syscall, a pid freed by a caller killed
 * meanwhile may already be another process's. Anything else — the container not (yet) registered, a cgroup file that
 * cannot be read, a write that fails otherwise — is answered SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel runs the real
 * sysinfo (the host's numbers), the caller never hangs; it is logged once per container.
 */
final class SeccompSupervisor implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(SeccompSupervisor.class);

    /** struct seccomp_data: int nr, u32 arch, u64 instruction_pointer, u64 args[6]. */
    private static final StructLayout SECCOMP_DATA = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("nr"),
            ValueLayout.JAVA_INT.withName("arch"),
            ValueLayout.JAVA_LONG.withName("instruction_pointer"),
            MemoryLayout.sequenceLayout(6, ValueLayout.JAVA_LONG).withName("args"));
    /** struct seccomp_notif: u64 id, u32 pid, u32 flags, struct seccomp_data data. */
    private static final StructLayout NOTIFICATION = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("id"), ValueLayout.JAVA_INT.withName("pid"),
            ValueLayout.JAVA_INT.withName("flags"), SECCOMP_DATA.withName("data"));
    /** struct seccomp_notif_resp: u64 id, s64 val, s32 error, u32 flags. */
    private static final StructLayout RESPONSE = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("id"), ValueLayout.JAVA_LONG.withName("val"),
            ValueLayout.JAVA_INT.withName("error"), ValueLayout.JAVA_INT.withName("flags"));

    private static final VarHandle ID = NOTIFICATION.varHandle(groupElement("id"));
    private static final VarHandle PID = NOTIFICATION.varHandle(groupElement("pid"));
    private static final VarHandle NR = NOTIFICATION.varHandle(groupElement("data"), groupElement("nr"));
    private static final VarHandle ARCH = NOTIFICATION.varHandle(groupElement("data"), groupElement("arch"));
    private static final VarHandle ARGUMENT = NOTIFICATION.varHandle(
            groupElement("data"), groupElement("args"), MemoryLayout.PathElement.sequenceElement());
    private static final VarHandle RESPONSE_ID = RESPONSE.varHandle(groupElement("id"));
    private static final VarHandle RESPONSE_ERROR = RESPONSE.varHandle(groupElement("error"));
    private static final VarHandle RESPONSE_FLAGS = RESPONSE.varHandle(groupElement("flags"));

    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;
    /** SECCOMP_IOCTL_NOTIF_RECV, _SEND, _ID_VALID: SECCOMP_IOWR(0, notif), _IOWR(1, resp), _IOW(2, u64). */
    static final long NOTIF_RECV = seccompIoctl(IOC_READ | IOC_WRITE, 0, NOTIFICATION.byteSize());

    static final long NOTIF_SEND = seccompIoctl(IOC_READ | IOC_WRITE, 1, RESPONSE.byteSize());
    static final long NOTIF_ID_VALID = seccompIoctl(IOC_WRITE, 2, Long.BYTES);
    private static final int SECCOMP_GET_NOTIF_SIZES = 3;
    private static final int SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
    private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    private static final int SYSINFO_X86_64 = 99;
    private static final int MOUNT_X86_64 = 165;
    private static final int UMOUNT2_X86_64 = 166;
    private static final long PAGE = 4096;

    /** _IOC(direction, '!', number, size), as linux/ioctl.h builds the seccomp ioctls' numbers. */
    private static long seccompIoctl(int direction, int number, long size) {
        return (long) direction << 30 | size << 16 | '!' << 8 | number;
    }

    /**
     * The struct sysinfo process {@code callerPid} of a container sees; empty when that process reads the host's
     * /proc/meminfo (then the host's sysinfo agrees with it). Throws when the container is not registered.
     */
    @FunctionalInterface
    interface SysinfoSource {
        Optional<byte[]> sysinfo(String containerId, int callerPid) throws Exception;
    }

    /** The kernel's sizes of the notification structs: ours or larger (a newer kernel may append fields). */
    record StructSizes(int notification, int response) {
        /** seccomp(SECCOMP_GET_NOTIF_SIZES); IllegalStateException when the kernel has no user notification. */
        static StructSizes ofKernel() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sizes = arena.allocate(6, 2);
                long result = Libc.seccomp(SECCOMP_GET_NOTIF_SIZES, 0, sizes);
                if (result < 0) {
                    throw new IllegalStateException("this kernel has no seccomp user notification (seccomp(2) "
                            + "SECCOMP_GET_NOTIF_SIZES: errno " + -result + ")");
                }
                int notification = Short.toUnsignedInt(sizes.get(ValueLayout.JAVA_SHORT, 0));
                int response = Short.toUnsignedInt(sizes.get(ValueLayout.JAVA_SHORT, 2));
                int data = Short.toUnsignedInt(sizes.get(ValueLayout.JAVA_SHORT, 4));
                if (notification < NOTIFICATION.byteSize()
                        || response < RESPONSE.byteSize()
                        || data < SECCOMP_DATA.byteSize()) {
                    throw new IllegalStateException(
                            "unexpected seccomp notification sizes " + notification + "/" + response + "/" + data);
                }
                return new StructSizes(notification, response);
            }
        }
    }

    /** Says once per container why its callers get the host's sysinfo. */
    interface Warnings {
        void once(String containerId, String message);
    }

    private final int fd;
    private final String containerId;
    private final StructSizes sizes;
    private final SysinfoSource source;
    private final Warnings warnings;
    private final KernelFsMounter mounts;
    private final MountGuard guard;
    private final HeldNotifications held;
    private final boolean resumed;

    /**
     * Takes over {@code fd}, a seccomp notify descriptor of {@code containerId}'s processes (closed at the end); its
     * procfs mounts are {@code mounts}', its unmounts, moves and remounts {@code guard}'s. Each notification received
     * is recorded in {@code held}; {@code resumed}: a previous daemon served {@code fd}, and what it may have left
     * unanswered is answered EINTR first.
     */
    SeccompSupervisor(
            int fd,
            String containerId,
            StructSizes sizes,
            SysinfoSource source,
            Warnings warnings,
            KernelFsMounter mounts,
            MountGuard guard,
            HeldNotifications held,
            boolean resumed) {
        this.fd = fd;
        this.containerId = containerId;
        this.sizes = sizes;
        this.source = source;
        this.warnings = warnings;
        this.mounts = mounts;
        this.guard = guard;
        this.held = held;
        this.resumed = resumed;
    }

    @Override
    public void run() {
        int slot = held.claim(containerId);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment notification = arena.allocate(sizes.notification(), 8);
            MemorySegment response = arena.allocate(sizes.response(), 8);
            MemorySegment id = arena.allocate(ValueLayout.JAVA_LONG);
            if (resumed) {
                answerLeftBehind(response, id);
            }
            while (true) {
                int events = Libc.poll(fd, -1);
                if (events == -Errno.EINTR) {
                    continue;
                }
                if (events < 0 || (events & Libc.POLLIN) == 0 && (events & (Libc.POLLHUP | Libc.POLLERR)) != 0) {
                    break; // POLLHUP: no process uses the filter any more, nothing can notify
                }
                if ((events & Libc.POLLIN) == 0) {
                    continue;
                }
                notification.fill((byte) 0); // the kernel refuses a buffer that is not zeroed
                int received = Libc.ioctl(fd, NOTIF_RECV, notification);
                if (received == -Errno.ENOENT || received == -Errno.EINTR) {
                    continue; // the caller was interrupted or killed since poll: its notification is gone
                }
                if (received < 0) {
                    LOG.warn(
                            "container {}: receiving a seccomp notification failed with errno {}; its notifications "
                                    + "are no longer answered (the calls fail with ENOSYS)",
                            containerId,
                            -received);
                    break;
                }
                id.set(ValueLayout.JAVA_LONG, 0, (long) ID.get(notification, 0L));
                held.received(slot, id.get(ValueLayout.JAVA_LONG, 0));
                Answer answer;
                try {
                    answer = answer(notification, id);
                } catch (RuntimeException | Error e) {
                    warnings.once(
                            containerId, "answering a seccomp notification failed (" + e + "): the kernel answers it");
                    answer = Answer.CONTINUE;
                }
                send(response, id, answer);
            }
        } finally {
            held.release(slot);
            Libc.close(fd);
            LOG.debug("container {}: seccomp notify descriptor {} closed", containerId, fd);
        }
    }

    /**
     * Answers EINTR to the notifications the previous daemon received and never answered: their callers wait for an
     * answer no later receive brings. Of the ids tried ({@link HeldNotifications}), those answered already, not yet
     * received or of another filter are refused by the kernel and left as they are.
     */
    private void answerLeftBehind(MemorySegment response, MemorySegment id) {
        int answered = 0;
        for (long left : held.leftBehind(containerId)) {
            id.set(ValueLayout.JAVA_LONG, 0, left);
            if (send(response, id, Answer.error(Errno.EINTR)) == 0) {
                answered++;
            }
        }
        if (answered > 0) {
            LOG.info(
                    "container {}: answered EINTR to {} notification(s) the previous jsysbox-fs received and did not "
                            + "answer",
                    containerId,
                    answered);
        }
    }

    /** How a notification is answered; NONE when its caller left the syscall (nobody waits for an answer). */
    record Answer(Kind kind, int errno) {
        enum Kind {
            SUCCESS,
            ERROR,
            CONTINUE,
            NONE
        }

        static final Answer SUCCESS = new Answer(Kind.SUCCESS, 0);
        static final Answer CONTINUE = new Answer(Kind.CONTINUE, 0);
        static final Answer NONE = new Answer(Kind.NONE, 0);

        static Answer error(int errno) {
            return new Answer(Kind.ERROR, errno);
        }
    }

    private Answer answer(MemorySegment notification, MemorySegment id) {
        if ((int) ARCH.get(notification, 0L) != AUDIT_ARCH_X86_64) {
            return Answer.CONTINUE;
        }
        int nr = (int) NR.get(notification, 0L);
        if (nr == MOUNT_X86_64 || nr == UMOUNT2_X86_64) {
            long[] args = arguments(notification);
            NotifiedCaller caller = new NotifiedCaller(notification, id);
            if (nr == UMOUNT2_X86_64) {
                return guard.umount(containerId, caller, args);
            }
            return MountGuard.guards(args[3])
                    ? guard.mount(containerId, caller, args)
                    : mounts.mount(containerId, caller, args);
        }
        if (nr != SYSINFO_X86_64) {
            return Answer.CONTINUE;
        }
        int pid = (int) PID.get(notification, 0L);
        Optional<byte[]> sysinfo;
        try {
            sysinfo = source.sysinfo(containerId, pid);
        } catch (Exception e) {
            warnings.once(
                    containerId,
                    "its sysinfo cannot be computed (" + e.getMessage() + "): its processes see the host's");
            return Answer.CONTINUE;
        }
        if (sysinfo.isEmpty()) {
            return Answer
                    .CONTINUE; // it reads the host's /proc/meminfo (an inner container's procfs): keep them agreeing
        }
        if (Libc.ioctl(fd, NOTIF_ID_VALID, id) < 0) {
            return Answer.NONE; // its pid may name another process by now: write nothing
        }
        long written;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(sysinfo.get().length);
            MemorySegment.copy(sysinfo.get(), 0, data, ValueLayout.JAVA_BYTE, 0, sysinfo.get().length);
            written = Libc.processVmWritev(pid, data, (long) ARGUMENT.get(notification, 0L, 0L));
        }
        if (written == -Errno.ESRCH || Libc.ioctl(fd, NOTIF_ID_VALID, id) < 0) {
            return Answer.NONE; // it left during the write
        }
        if (written == sysinfo.get().length) {
            return Answer.SUCCESS;
        }
        if (written == -Errno.EFAULT || written >= 0) {
            // written >= 0: a partial write, the buffer ends in a page it cannot write
            return Answer.error(Errno.EFAULT);
        }
        warnings.once(
                containerId,
                "writing sysinfo into its process " + pid + " failed with errno " + -written
                        + ": its processes see the host's");
        return Answer.CONTINUE;
    }

    private static long[] arguments(MemorySegment notification) {
        long[] arguments = new long[6];
        for (int i = 0; i < arguments.length; i++) {
            arguments[i] = (long) ARGUMENT.get(notification, 0L, (long) i);
        }
        return arguments;
    }

    /** The process a notification is from, while it waits in its syscall. */
    private final class NotifiedCaller implements KernelFsMounter.Caller {
        private final int pid;
        private final MemorySegment id;

        NotifiedCaller(MemorySegment notification, MemorySegment id) {
            this.pid = (int) PID.get(notification, 0L);
            this.id = id;
        }

        @Override
        public int pid() {
            return pid;
        }

        /** Read a page at a time: a string ending just before memory the caller cannot read is still read whole. */
        @Override
        public Optional<String> string(long address, int max) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment page = arena.allocate(PAGE);
                for (long at = address; bytes.size() < max; ) {
                    long chunk = Math.min(PAGE - at % PAGE, max - bytes.size());
                    long read = Libc.processVmReadv(pid, page.asSlice(0, chunk), at);
                    if (read <= 0) {
                        return Optional.empty();
                    }
                    for (long i = 0; i < read; i++) {
                        byte b = page.get(ValueLayout.JAVA_BYTE, i);
                        if (b == 0) {
                            return Optional.of(bytes.toString(StandardCharsets.UTF_8));
                        }
                        bytes.write(b);
                    }
                    at += read;
                }
            }
            return Optional.empty(); // longer than max
        }

        @Override
        public boolean stillWaiting() {
            return Libc.ioctl(fd, NOTIF_ID_VALID, id) == 0;
        }
    }

    /** SECCOMP_IOCTL_NOTIF_SEND: 0, or minus the errno; ENOENT (the caller is gone meanwhile) needs nothing more. */
    private int send(MemorySegment response, MemorySegment id, Answer answer) {
        if (answer.kind() == Answer.Kind.NONE) {
            return 0;
        }
        response.fill((byte) 0); // val 0: the syscall's result
        RESPONSE_ID.set(response, 0L, id.get(ValueLayout.JAVA_LONG, 0));
        RESPONSE_ERROR.set(response, 0L, answer.kind() == Answer.Kind.ERROR ? -answer.errno() : 0);
        RESPONSE_FLAGS.set(response, 0L, answer.kind() == Answer.Kind.CONTINUE ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0);
        int sent = Libc.ioctl(fd, NOTIF_SEND, response);
        if (sent < 0 && sent != -Errno.ENOENT) {
            LOG.debug("container {}: answering a seccomp notification failed with errno {}", containerId, -sent);
        }
        return sent;
    }
}
