package io.jsysbox.mgr;

import io.jsysbox.linux.ProcessIdentity;
import java.util.ArrayList;
import java.util.List;

/** Stands in for jsysbox-fs in manager tests: records detaches, and can be made unavailable or slow to attach. */
final class RecordingVirtualFiles implements VirtualFiles {
    /** What an attach does before it answers; may throw (jsysbox-fs refusing). */
    interface Attach {
        void run() throws ManagerException, InterruptedException;
    }

    final List<String> detached = new ArrayList<>();
    volatile boolean available = true;
    volatile Attach onAttach = () -> {};

    @Override
    public void checkAvailable() throws ManagerException {
        if (!available) {
            throw new ManagerException(ManagerException.Kind.NOT_POSSIBLE, "jsysbox-fs does not answer (test)");
        }
    }

    @Override
    public int attach(String id, ProcessIdentity init, String rootPath, boolean guardMounts) throws ManagerException {
        checkAvailable();
        try {
            onAttach.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ManagerException(ManagerException.Kind.INTERNAL, "interrupted (test)", e);
        }
        return 0;
    }

    @Override
    public synchronized void detach(String id) {
        detached.add(id);
    }
}
