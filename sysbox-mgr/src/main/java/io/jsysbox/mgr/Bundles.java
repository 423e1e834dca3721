package io.jsysbox.mgr;

import io.jsysbox.linux.MountInfo;
import io.jsysbox.spec.Capabilities;
import io.jsysbox.spec.JsysboxException;
import io.jsysbox.spec.Prepare;
import io.jsysbox.spec.SystemContainerSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's work around runc, done here in the warm manager on the bundle containerd made: before runc, the
 * spec read, checked, prepared for and rewritten; after runc created the container, its setup. Both the gRPC edge
 * (the Java CLI) and the launcher edge (the shell launcher's create) call these.
 */
final class Bundles {
    private static final Logger LOG = LoggerFactory.getLogger(Bundles.class);

    private final ContainerManager manager;

    Bundles(ContainerManager manager) {
        this.manager = manager;
    }

    /**
     * Makes container {@code id} from {@code bundle}: config.json checked, the container prepared, config.json
     * rewritten (with {@code startedHook}, when not empty, as its first createRuntime hook). {@code boundingMask}: the
     * runtime process's CapBnd in hex (runc, its child, grants no more), or "" for the manager's own. On failure
     * nothing is left prepared and config.json is unchanged. Returns a warning for the user, or "".
     */
    String create(String id, Path bundle, String boundingMask, List<String> startedHook, List<String> hookEnvironment)
            throws ManagerException {
        long began = System.nanoTime();
        SystemContainerSpec spec;
        try {
            spec = SystemContainerSpec.read(
                    bundle,
                    boundingMask.isEmpty() ? Capabilities.hostBoundingSet() : Capabilities.boundingSet(boundingMask));
        } catch (JsysboxException e) {
            throw new ManagerException(ManagerException.Kind.BAD_REQUEST, e.getMessage(), e);
        }
        Prepare.Result prepared = manager.prepare(spec.prepareRequest(id));
        try {
            // Read after Prepare: the ID-mapped clones of bind sources it made are in it.
            spec.write(id, prepared, MountInfo.read(), startedHook, hookEnvironment);
        } catch (JsysboxException | IOException | RuntimeException e) {
            manager.release(id);
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new ManagerException(
                    ManagerException.Kind.INTERNAL,
                    "cannot rewrite " + bundle.resolve("config.json") + ": " + e.getMessage(),
                    e);
        }
        LOG.info("{}: created from {} in {} ms", id, bundle, (System.nanoTime() - began) / 1_000_000);
        return spec.apparmorWarning();
    }

    /**
     * runc created container {@code id} from {@code bundle} with init {@code pid} (its root at {@code rootPath} in
     * its mount namespace, "" once runc pivoted into it): mounts its virtual files, delegates its cgroups and, for a
     * pod sandbox, adopts the CRI's network. Returns the delegated cgroups.
     */
    List<String> started(String id, long pid, String rootPath, Path bundle) throws ManagerException {
        SystemContainerSpec.StartFacts facts;
        try {
            facts = SystemContainerSpec.StartFacts.of(bundle);
        } catch (JsysboxException e) {
            throw new ManagerException(ManagerException.Kind.BAD_REQUEST, e.getMessage(), e);
        }
        return manager.started(
                id, pid, rootPath, facts.networkToAdopt(), facts.podSandbox(), !facts.mountInterceptionOff());
    }

    /** Gives back what was made for container {@code id}; false when it was unknown. */
    boolean release(String id) {
        return manager.release(id);
    }
}
