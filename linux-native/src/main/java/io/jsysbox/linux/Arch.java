package io.jsysbox.linux;

/**
 * The few numbers that differ between the architectures we support. The mount-API syscalls
 * (pidfd_open, open_tree and later) share one number on every architecture.
 */
final class Arch {
    static final long SYS_OPEN_TREE = 428;
    static final long SYS_MOVE_MOUNT = 429;
    static final long SYS_OPENAT2 = 437;
    static final long SYS_MOUNT_SETATTR = 442;
    static final long SYS_PIDFD_OPEN = 434;
    static final long SYS_PIDFD_GETFD = 438;

    /** O_DIRECTORY and O_NOFOLLOW: asm-generic values on aarch64, legacy values on x86_64. */
    static final int O_DIRECTORY;

    static final int O_NOFOLLOW;

    static {
        String arch = System.getProperty("os.arch");
        switch (arch) {
            case "amd64", "x86_64" -> {
                O_DIRECTORY = 0x10000;
                O_NOFOLLOW = 0x20000;
            }
            case "aarch64" -> {
                O_DIRECTORY = 0x4000;
                O_NOFOLLOW = 0x8000;
            }
            default -> throw new ExceptionInInitializerError("jsysbox supports x86_64 and aarch64, not " + arch);
        }
    }

    private Arch() {}
}
