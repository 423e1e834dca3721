package io.jsysbox.fs;

/** A file operation failed with {@code errno} (positive), which becomes the FUSE reply's error. */
final class FsError extends Exception {
    final int errno;

    FsError(int errno, String why) {
        super(why, null, false, false); // thrown per request: no stack trace
        this.errno = errno;
    }
}
