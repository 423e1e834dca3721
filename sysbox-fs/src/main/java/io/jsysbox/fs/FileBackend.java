package io.jsysbox.fs;

import java.util.List;

/**
 * What the FUSE layer needs of the files it serves: which container owns each slot of node ids (see
 * {@link FsTree}), and a file of a view opened for a caller, then rendered or written.
 */
interface FileBackend {

    /**
     * Whose view a slot of node ids is: the host's (slot 0) or a registered container's, named {@code id}, whose
     * files belong to the host {@code uid} and {@code gid} its user namespace maps to root; its processes run as the
     * {@code uidCount} host uids from {@code uid} (its user namespace's range).
     */
    record Owner(long slot, String id, int uid, int gid, long uidCount) {
        static final Owner HOST = new Owner(0, "", 0, 0, 1);

        /** Whether host uid {@code hostUid} is one of the view's container's (host root is in none). */
        boolean runs(int hostUid) {
            long id = Integer.toUnsignedLong(hostUid);
            return slot != 0 && id >= Integer.toUnsignedLong(uid) && id - Integer.toUnsignedLong(uid) < uidCount;
        }
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
