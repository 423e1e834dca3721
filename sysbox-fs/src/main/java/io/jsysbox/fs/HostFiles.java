package io.jsysbox.fs;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Libc;
import io.jsysbox.linux.Linux;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Host /proc, /sys and cgroup files that are read again and again, kept open and re-read with one pread at
 * offset 0: procfs (seq_file and sysctl), sysfs and cgroupfs render the whole file afresh for a read at 0 and
 * fill a read as far as the content goes, so a short read is the end. That is one syscall per file instead
 * of open, reads and close. (Files.readString would also be wrong: these files report size 0, so it reads
 * one byte first, and a sysctl answers a read at a non-zero offset with end-of-file: "1" for "1\n".)
 */
final class HostFiles implements AutoCloseable {

    /** A reader thread's buffers: native memory for pread, a heap copy for the String. */
    private static final class Buffers {
        final Arena arena = Arena.ofAuto();
        MemorySegment data = arena.allocate(64 * 1024);
        final MemorySegment state = arena.allocate(Libc.CALL_STATE);
        byte[] bytes = new byte[64 * 1024];
    }

    /** The host's online CPUs ("0-3"). */
    static final String ONLINE_CPUS = "/sys/devices/system/cpu/online";

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * How long a {@link #hostProc} serves a host file's last read again (zero: never). /proc/cpuinfo, 100 ms: its
     * blocks change only when a CPU goes on or off line, and its "cpu MHz" is a sample the kernel takes for every read
     * of every CPU (APERF/MPERF), which makes it the costliest file a container reads in a loop (monitoring agents,
     * JVMs sizing their pools); a sample 100 ms old is as true. The online CPUs (which every container view reads)
     * change only then too. /proc/stat and /proc/meminfo, one clock tick (10 ms, USER_HZ): every container's stat and
     * meminfo render the host's afresh (7 and 6 µs for the kernel here, more with more CPUs), and one read then serves
     * every container reading in the same tick: /proc/stat counts in ticks, and no command tells a host-wide memory
     * number 10 ms old from a fresh one. The container's own counters (its cgroup files) and /proc/uptime are always
     * read afresh.
     */
    static Duration hostReuse(String path) {
        return switch (path) {
            case "/proc/cpuinfo", ONLINE_CPUS -> Duration.ofMillis(100);
            case "/proc/stat", "/proc/meminfo" -> Duration.ofMillis(10);
            default -> Duration.ZERO;
        };
    }

    /**
     * How long a {@link #containerCgroups} serves a cgroup file's last read again: 20 ms for limits (cpuset, CPU
     * quota, memory and swap limits, v1 and v2), which change only when the container is updated (docker update),
     * while every /proc/uptime, cpuinfo, stat and meminfo read needs some of them. 20 ms is less than any command
     * takes to reach a container after an update (a docker exec takes 50 ms or more), so no reader sees a limit older
     * than its update. Usage counters (cpuacct.*, cpu.stat, memory.usage_in_bytes, memory.current, memory.stat…) are
     * always read afresh.
     */
    static Duration cgroupReuse(String path) {
        return isCgroupLimit(path) ? Duration.ofMillis(20) : Duration.ZERO;
    }

    private static final List<String> CGROUP_LIMIT_SUFFIXES = List.of(
            "/cpuset.cpus",
            "/cpuset.effective_cpus",
            "/cpuset.cpus.effective",
            "/cpu.cfs_quota_us",
            "/cpu.cfs_period_us",
            "/cpu.max",
            "/memory.limit_in_bytes",
            "/memory.memsw.limit_in_bytes",
            "/memory.max",
            "/memory.swap.max");

    private static boolean isCgroupLimit(String path) {
        for (String suffix : CGROUP_LIMIT_SUFFIXES) {
            if (path.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    private record Snapshot(String text, long readAtNanos) {}

    /** A file kept open: how long a read of it may be reused is decided once, at its open, not at every read. */
    private static final class OpenFile {
        final int fd;
        /** 0: never reused. */
        final long reuseNanos;
        /** Its last read, for a reused file. */
        volatile Snapshot last;

        OpenFile(int fd, long reuseNanos) {
            this.fd = fd;
            this.reuseNanos = reuseNanos;
        }
    }

    private final Map<String, OpenFile> open = new ConcurrentHashMap<>();
    private final Function<String, Duration> reuse;

    /** Serves each file from a read up to {@code reuse.apply(path)} old, afresh where that is zero. */
    HostFiles(Function<String, Duration> reuse) {
        this.reuse = reuse;
    }

    /** The host's /proc files, reused as {@link #hostReuse} says. */
    static HostFiles hostProc() {
        return new HostFiles(HostFiles::hostReuse);
    }

    /** A container's cgroup files, its limits reused ({@link #cgroupReuse}). */
    static HostFiles containerCgroups() {
        return new HostFiles(HostFiles::cgroupReuse);
    }

    /**
     * The file's whole content, one char per byte (ISO-8859-1: the files are ASCII, and bytes map to chars and
     * back unchanged, with no decoding cost); NoSuchFileException when it does not exist. A reused file may be a
     * read of the last window.
     */
    String read(String path) throws IOException {
        OpenFile file = opened(path);
        if (file.reuseNanos == 0) {
            return readNow(path, file.fd);
        }
        long now = System.nanoTime();
        Snapshot snapshot = file.last;
        if (snapshot != null && now - snapshot.readAtNanos() < file.reuseNanos) {
            return snapshot.text();
        }
        String text = readNow(path, file.fd);
        file.last = new Snapshot(text, now);
        return text;
    }

    private OpenFile opened(String path) throws IOException {
        OpenFile file = open.get(path);
        if (file != null) {
            return file;
        }
        int fd = Libc.open(path, Linux.O_RDONLY | Linux.O_CLOEXEC);
        if (fd < 0) {
            throw fd == -Errno.ENOENT ? new NoSuchFileException(path) : new IOException(path + ": errno " + -fd);
        }
        OpenFile opened = new OpenFile(fd, reuse.apply(path).toNanos());
        OpenFile raced = open.putIfAbsent(path, opened);
        if (raced != null) {
            Libc.close(fd);
            return raced;
        }
        return opened;
    }

    private static String readNow(String path, int fd) throws IOException {
        Buffers buffers = BUFFERS.get();
        long n;
        while ((n = Libc.pread(buffers.state, fd, buffers.data, buffers.data.byteSize(), 0))
                == buffers.data.byteSize()) {
            // A file larger than the buffer (cpuinfo of a big host): read it again into a larger one.
            buffers.data = buffers.arena.allocate(buffers.data.byteSize() * 2);
            buffers.bytes = new byte[(int) buffers.data.byteSize()];
        }
        if (n < 0) {
            throw n == -Errno.ENOENT
                    ? new NoSuchFileException(path)
                    : new IOException("reading " + path + ": errno " + -n);
        }
        MemorySegment.copy(buffers.data, ValueLayout.JAVA_BYTE, 0, buffers.bytes, 0, (int) n);
        return new String(buffers.bytes, 0, (int) n, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        open.values().forEach(file -> Libc.close(file.fd));
        open.clear();
    }
}
