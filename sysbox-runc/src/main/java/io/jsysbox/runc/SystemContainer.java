package io.jsysbox.runc;

import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.JsysboxException;
import java.nio.file.Path;
import java.util.List;

/**
 * A container being made by create or run: the manager has checked its bundle's spec, prepared its resources and
 * rewritten its config.json. Whoever holds one either reports it started or releases it.
 */
final class SystemContainer implements AutoCloseable {
    private final ManagerClient manager;
    private final String id;
    private final Path bundle;
    private final ErrorLog log;

    private SystemContainer(ManagerClient manager, String id, Path bundle, ErrorLog log) {
        this.manager = manager;
        this.id = id;
        this.bundle = bundle;
        this.log = log;
    }

    /**
     * Has the manager check the bundle's spec, prepare the container and rewrite config.json (with {@code
     * startedHook}, when not empty, as a createRuntime hook). On failure nothing is left prepared.
     */
    static SystemContainer create(
            String id, Path bundle, List<String> startedHook, List<String> hookEnvironment, ErrorLog log)
            throws JsysboxException {
        ManagerClient manager = ManagerClient.connect();
        try {
            String warning = manager.create(id, bundle, startedHook, hookEnvironment);
            if (!warning.isEmpty()) {
                log.warning(warning);
            }
            return new SystemContainer(manager, id, bundle, log);
        } catch (JsysboxException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * runc created the container with init {@code pid}: the manager mounts its virtual files, delegates its cgroups
     * and, for a pod sandbox, moves the pod's network into it.
     */
    void started(long pid) throws JsysboxException {
        manager.started(id, pid, "", bundle);
    }

    /**
     * Gives back what the manager made. A failure is only a warning: the manager also releases a container when
     * its init exits and, on its own restart, every container whose init or rootfs is gone.
     */
    void release() {
        try {
            manager.release(id);
        } catch (JsysboxException e) {
            log.warning(e.getMessage());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
