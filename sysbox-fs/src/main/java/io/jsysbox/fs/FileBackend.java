package io.jsysbox.fs;

/** What the FUSE layer needs of the files it serves: open one for a caller, then render or write it. */
interface FileBackend {

    /** Opens {@code file} (never a directory) for {@code caller}; fails with EACCES, EPERM, ENOENT… */
    OpenFile open(FsTree.Node file, Caller caller, boolean forWriting) throws FsError;

    /** One open file: bound at open to the caller's container, as procfs binds a file to its opener. */
    interface OpenFile {
        /** The whole content, rendered now. */
        byte[] render() throws FsError;

        /** Writes {@code data} at {@code offset}; returns the bytes consumed. */
        int write(byte[] data, long offset) throws FsError;
    }
}
