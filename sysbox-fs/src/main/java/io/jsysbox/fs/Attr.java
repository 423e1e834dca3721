package io.jsysbox.fs;

/** The attributes of one node, as fuse_attr carries them; {@code uid} and {@code gid} are host ids. */
record Attr(long ino, int mode, int nlink, long size, long timeSeconds, int uid, int gid) {
    static final int BLOCK_SIZE = 4096;

    /** The same node as another view's: its node id there and the owner of that view's files. */
    Attr as(long ino, int uid, int gid) {
        return new Attr(ino, mode, nlink, size, timeSeconds, uid, gid);
    }
}
