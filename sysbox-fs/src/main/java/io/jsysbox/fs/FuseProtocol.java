package io.jsysbox.fs;

/**
 * The numbers of the FUSE kernel protocol (include/uapi/linux/fuse.h) that jsysbox-fs speaks: opcodes, init
 * and open flags, and the fixed sizes of the structs it reads and writes. Version 7.31 is the newest layout
 * it needs; the kernel adapts to an older minor.
 */
final class FuseProtocol {
    static final int KERNEL_VERSION = 7;
    static final int KERNEL_MINOR_VERSION = 31;

    static final long ROOT_ID = 1;

    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int ACCESS = 34;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;

    /** INIT flags: O_TRUNC travels in OPEN (no SETATTR after it); lookups in one directory may run in parallel. */
    static final int FUSE_ATOMIC_O_TRUNC = 1 << 3;

    static final int FUSE_PARALLEL_DIROPS = 1 << 18;

    /** OPEN reply flags: bypass the page cache (sizes are unknown until rendered); no FLUSH on close of this file. */
    static final int FOPEN_DIRECT_IO = 1;
    /** fuse_notify_code FUSE_NOTIFY_STORE: put data in an inode's page cache (and grow its size to cover it). */
    static final int NOTIFY_STORE = 4;

    static final int NOTIFY_STORE_OUT_SIZE = 24;
    /**
     * fuse_notify_code FUSE_NOTIFY_RESEND (Linux 6.9): queue again the requests a reader took and never answered. Sent
     * again, a request's unique id carries bit 63 (FUSE_UNIQUE_RESEND); the reply echoes it like any id.
     */
    static final int NOTIFY_RESEND = 7;

    static final int FOPEN_NOFLUSH = 1 << 5;

    static final int IN_HEADER_SIZE = 40;
    static final int OUT_HEADER_SIZE = 16;
    static final int ATTR_SIZE = 88;
    static final int ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
    static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;
    static final int OPEN_OUT_SIZE = 16;
    static final int WRITE_IN_SIZE = 40;
    static final int INIT_OUT_SIZE = 64;
    static final int KSTATFS_SIZE = 80;
    static final int DIRENT_HEADER_SIZE = 24;

    /** Largest WRITE payload the daemon accepts in one request (a sysctl value is a few bytes). */
    static final int MAX_WRITE = 64 * 1024;
    /** A read of /dev/fuse must take one whole request: the largest WRITE plus its headers, and at least 8 KiB. */
    static final int REQUEST_BUFFER_SIZE = MAX_WRITE + IN_HEADER_SIZE + WRITE_IN_SIZE + 4096;
    /** A reply's largest payload: the kernel never asks a READ of more than max_read (128 KiB by default). */
    static final int REPLY_BUFFER_SIZE = 128 * 1024 + OUT_HEADER_SIZE;

    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    /** d_type values in READDIR entries. */
    static final int DT_DIR = 4;

    static final int DT_REG = 8;

    private FuseProtocol() {}
}
