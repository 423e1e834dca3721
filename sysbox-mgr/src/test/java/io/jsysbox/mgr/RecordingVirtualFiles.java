package io.jsysbox.mgr;

import io.jsysbox.linux.ProcessIdentity;
import java.util.ArrayList;
import java.util.List;

/** Stands in for jsysbox-fs in manager tests: records detaches, and can be made unavailable. */
final class RecordingVirtualFiles implements VirtualFiles {
    final List<String> detached = new ArrayList<>();
    boolean available = true;

    @Override
    public void checkAvailable() throws ManagerException {
        if (!available) {
            throw new ManagerException(ManagerException.Kind.NOT_POSSIBLE, "jsysbox-fs does not answer (test)");
        }
    }

    @Override
    public int attach(String id, ProcessIdentity init, String rootPath, boolean guardMounts) throws ManagerException {
        checkAvailable();
        return 0;
    }

    @Override
    public void detach(String id) {
        detached.add(id);
    }
}
