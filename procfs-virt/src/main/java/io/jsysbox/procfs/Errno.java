package io.jsysbox.procfs;

/** The errors a virtual file operation can end with, with the Linux numbers a FUSE reply carries. */
public enum Errno {
    ENOMEM(12),
    EACCES(13),
    EINVAL(22),
    ERANGE(34);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** The positive errno value (FUSE replies with its negation). */
    public int code() {
        return code;
    }
}
