package io.jsysbox.mgr;

import io.jsysbox.linux.ProcessIdentity;

/**
 * What the manager needs of jsysbox-fs, the daemon serving each container's virtual /proc and /sys files. A
 * container either gets all of them or does not start: never half-virtualized.
 */
interface VirtualFiles {
    /** Fails when jsysbox-fs cannot serve a new container now, so Prepare refuses before anything is made. */
    void checkAvailable() throws ManagerException;

    /**
     * Registers container {@code id} (init {@code pid}) with jsysbox-fs and mounts its virtual files over the
     * container's own, in the container's mount namespace, under {@code rootPath} there ("" or "/" once runc has
     * pivoted into the rootfs). With {@code guardMounts}, the files are locked and jsysbox-fs protects the container's
     * mounts as they are then (from the container's first guarded mount call on: the answer is not awaited). Returns
     * how many files were mounted.
     */
    int attach(String id, ProcessIdentity init, String rootPath, boolean guardMounts) throws ManagerException;

    /** Forgets container {@code id}: its sysctl values go with it. Best effort: jsysbox-fs also forgets dead inits. */
    void detach(String id);
}
