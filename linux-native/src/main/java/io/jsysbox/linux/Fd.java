package io.jsysbox.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An owned file descriptor, closed exactly once. */
public final class Fd implements AutoCloseable {
    private final int value;
    private boolean closed;

    Fd(int value) {
        this.value = value;
    }

    public int value() {
        if (closed) {
            throw new IllegalStateException("fd " + value + " already closed");
        }
        return value;
    }

    /**
     * The magic link naming exactly this descriptor's file: path operations through it do not
     * re-resolve the path the descriptor was opened with.
     */
    public Path procPath() {
        return Path.of("/proc/self/fd/" + value());
    }

    /** For error messages: where {@code name} relative to this descriptor is, as far as the kernel can tell. */
    String procPathOrName(String name) {
        String base;
        try {
            base = Files.readSymbolicLink(procPath()).toString();
        } catch (IOException | RuntimeException e) {
            base = toString();
        }
        return name.isEmpty() ? base : base + "/" + name;
    }

    /** Gives the descriptor up to the caller, who closes it: this no longer does. */
    public synchronized int release() {
        int released = value();
        closed = true;
        return released;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(value);
        }
    }

    @Override
    public String toString() {
        return "fd " + value;
    }
}
