package io.jsysbox.fs;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a host /proc, /sys or cgroup file whole, starting with one large read. Files.readString is wrong
 * here: /proc and /sys report size 0, so it reads one byte first, and a sysctl answers a read at a non-zero
 * offset with end-of-file (it would return "1" for "1\n").
 */
final class HostFiles {
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[64 * 1024]);

    private HostFiles() {
    }

    static String read(String path) throws IOException {
        byte[] buffer = BUFFER.get();
        int length = 0;
        try (FileInputStream in = new FileInputStream(path)) {
            int n;
            while ((n = in.read(buffer, length, buffer.length - length)) > 0) {
                length += n;
                if (length == buffer.length) {
                    buffer = Arrays.copyOf(buffer, buffer.length * 2);
                    BUFFER.set(buffer);
                }
            }
        }
        return new String(buffer, 0, length, StandardCharsets.UTF_8);
    }
}
