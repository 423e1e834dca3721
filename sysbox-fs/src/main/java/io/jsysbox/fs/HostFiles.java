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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * Files served up to {@link #REUSE} old. /proc/cpuinfo: its blocks change only when a CPU goes on or off
     * line, and its "cpu MHz" is a sample the kernel takes for every read of every CPU (APERF/MPERF), which makes it
     * the costliest file a container reads in a loop (monitoring agents, JVMs sizing their pools); a sample 100 ms
     * old is as true. Counters (stat, meminfo, uptime, cgroup files) are always read afresh.
     */
    private static final Set<String> REUSABLE = Set.of("/proc/cpuinfo");

    private static final Duration REUSE = Duration.ofMillis(100);

    private record Snapshot(String text, long readAtNanos) {}

    private final Map<String, Integer> open = new ConcurrentHashMap<>();
    private final Map<String, Snapshot> recent = new ConcurrentHashMap<>();
    private final long reuseNanos;

    HostFiles() {
        this(REUSE);
    }

    /** With {@link #REUSABLE} files reused for {@code reuse} (tests choose it). */
    HostFiles(Duration reuse) {
        this.reuseNanos = reuse.toNanos();
    }

    /**
     * The file's whole content, one char per byte (ISO-8859-1: the files are ASCII, and bytes map to chars and
     * back unchanged, with no decoding cost); NoSuchFileException when it does not exist. {@link #REUSABLE} files
     * may be a read up to {@link #REUSE} old.
     */
    String read(String path) throws IOException {
        if (!REUSABLE.contains(path)) {
            return readNow(path);
        }
        long now = System.nanoTime();
        Snapshot snapshot = recent.get(path);
        if (snapshot != null && now - snapshot.readAtNanos() < reuseNanos) {
            return snapshot.text();
        }
        String text = readNow(path);
        recent.put(path, new Snapshot(text, now));
        return text;
    }

    private String readNow(String path) throws IOException {
        Integer fd = open.get(path);
        if (fd == null) {
            int opened = Libc.open(path, Linux.O_RDONLY | Linux.O_CLOEXEC);
            if (opened < 0) {
                throw opened == -Errno.ENOENT
                        ? new NoSuchFileException(path)
                        : new IOException(path + ": errno " + -opened);
            }
            fd = open.putIfAbsent(path, opened);
            if (fd != null) {
                Libc.close(opened);
            } else {
                fd = opened;
            }
        }
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
        open.values().forEach(Libc::close);
        open.clear();
    }
}
