package io.jsysbox.linux;

import java.io.IOException;

/** A failed kernel call: what was attempted, the errno and its text. */
public final class LinuxException extends IOException {
    private final int errno;
    private final String operation;

    public LinuxException(String operation, int errno) {
        super(operation + ": " + Libc.strerror(errno) + " (errno " + errno + ")");
        this.operation = operation;
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public String operation() {
        return operation;
    }
}
