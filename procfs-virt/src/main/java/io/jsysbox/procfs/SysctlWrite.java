package io.jsysbox.procfs;

import java.util.Optional;

/** The outcome of writing to a virtual sysctl or module parameter. */
public sealed interface SysctlWrite {

    /**
     * The write succeeded: {@code consumedBytes} is what write(2) returns (the kernel may consume less than
     * was written, e.g. "1 abc" consumes "1 "); {@code value} is the new file content, empty when the kernel
     * ignores the write (a sysctl write at a non-zero offset).
     */
    record Accepted(int consumedBytes, Optional<String> value) implements SysctlWrite {}

    record Rejected(Errno errno) implements SysctlWrite {}
}
