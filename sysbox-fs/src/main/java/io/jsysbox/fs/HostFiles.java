package io.jsysbox.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Host /proc, /sys and cgroup files that are read again and again, kept open and re-read with one pread at
 * offset 0: procfs (seq_file and sysctl), sysfs and cgroupfs render the whole file afresh for a read at 0 and
 * fill a read as far as the content goes, so a short read is the end. That is one syscall per file instead
 * of open, reads and close. (Files.readString would also be wrong: these files report size 0, so it reads
 * one byte first, and a sysctl answers a read at a non-zero offset with end-of-file: "1" for "1\n".)
 */
final class HostFiles implements AutoCloseable {
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(64 * 1024));

    private final Map<String, FileChannel> open = new ConcurrentHashMap<>();

    /** The file's whole content; NoSuchFileException when it does not exist. */
    String read(String path) throws IOException {
        FileChannel channel = open.get(path);
        if (channel == null) {
            channel = FileChannel.open(Path.of(path), StandardOpenOption.READ);
            FileChannel raced = open.putIfAbsent(path, channel);
            if (raced != null) {
                channel.close();
                channel = raced;
            }
        }
        ByteBuffer buffer = BUFFER.get().clear();
        while (channel.read(buffer, 0) == buffer.capacity()) {
            // A file larger than the buffer (cpuinfo of a big host): read it again into a larger one.
            buffer = ByteBuffer.allocateDirect(buffer.capacity() * 2);
            BUFFER.set(buffer);
        }
        buffer.flip();
        return StandardCharsets.UTF_8.decode(buffer).toString();
    }

    @Override
    public void close() {
        for (FileChannel channel : open.values()) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only descriptors: nothing to flush
            }
        }
        open.clear();
    }
}
