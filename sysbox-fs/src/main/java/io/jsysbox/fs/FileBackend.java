package io.jsysbox.fs;

import java.util.List;

/**
 * What the FUSE layer needs of the files it serves: which container owns each slot of node ids (see
 * {@link FsTree}), and a file of a view opened for a caller, then rendered or written.
 */
interface FileBackend {

    /**
     * Whose view a slot of node ids is: the host's (slot 0) or a registered container's, named {@code id}, whose
     * files belong to the host {@code uid} and {@code gid} its user namespace maps to root.
     */
    record Owner(long slot, String id, int uid, int gid) {
        static final Owner HOST = new Owner(0, "", 0, 0);
    }

    /** The container registered in {@code slot} (1 or more), or null: none yet, or no longer. */
    Owner owner(long slot);

    /** The registered container named {@code id}, or null. */
    Owner owner(String id);

    /** The registered containers, by slot. */
    List<Owner> owners();

    /** Opens {@code file} (never a directory) of {@code owner}'s view for {@code caller}; fails with EACCES, EPERM… */
    OpenFile open(Owner owner, FsTree.Node file, Caller caller, boolean forWriting) throws FsError;

    /** One open file of one view. */
    interface OpenFile {
        /** The whole content, rendered now for the view's owner. */
        byte[] render() throws FsError;

        /** Writes {@code data} at {@code offset}; returns the bytes consumed. */
        int write(byte[] data, long offset) throws FsError;
    }
}
