package io.jsysbox.fs;

/** The attributes of one node, as fuse_attr carries them. */
record Attr(long ino, int mode, int nlink, long size, long timeSeconds) {
    static final int BLOCK_SIZE = 4096;
}
