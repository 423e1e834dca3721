package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a system container's spec may not be, each refusal a one-line message saying what to change: without a root
 * or a process, privileged, sharing one of the host's namespaces, joining a user namespace or mapping IDs itself. A
 * pod's containers are refused in the pod spec's terms.
 */
final class SpecValidation {
    /** Namespaces a container must not share with the host, with the Docker flag that shares each. */
    private static final Map<String, String> REQUIRED_NAMESPACES = Map.of(
            "pid", "--pid=host", "network", "--network=host", "ipc", "--ipc=host", "uts", "--uts=host", "mount", "");
    /** The same for a Kubernetes pod: the pod spec field that shares each (the kubelet shares UTS with hostNetwork). */
    private static final Map<String, String> POD_HOST_FIELDS = Map.of(
            "pid", "hostPID: true", "network", "hostNetwork: true", "ipc", "hostIPC: true", "uts", "hostNetwork: true");

    private SpecValidation() {}

    /**
     * Rejects specs that would share the host's namespaces or make container root host root, in a pod's terms for a
     * pod's containers. {@code joinedHost}: the namespace types the spec joins by a path that is the host's namespace
     * (found by the caller).
     */
    static void validate(ObjectNode json, PodRole pod, Set<String> joinedHost) throws JsysboxException {
        OciSpec spec = OciSpec.of(json);
        if (spec.rootPath().isEmpty()) {
            throw new JsysboxException(
                    "config.json has no root.path: set it to the container's root filesystem directory");
        }
        if (!spec.hasProcess()) {
            throw new JsysboxException("config.json has no process: add the process to run (see 'runc spec')");
        }
        boolean inPod = pod.kind() != PodRole.Kind.NONE;
        if (isPrivileged(spec)) {
            throw new JsysboxException(
                    inPod
                            ? "a pod with securityContext.privileged: true cannot use the jsysbox runtime class: its "
                                    + "pods are unprivileged by design and run Docker/systemd without it; drop "
                                    + "privileged"
                            : "--privileged is not supported: jsysbox containers are unprivileged by design "
                                    + "and run Docker/systemd without it; drop --privileged");
        }
        for (var required : REQUIRED_NAMESPACES.entrySet()) {
            String type = required.getKey(), flag = required.getValue();
            if (spec.namespace(type).isPresent() && !joinedHost.contains(type)) {
                continue;
            }
            if (inPod && POD_HOST_FIELDS.containsKey(type)) {
                throw new JsysboxException("a pod with " + POD_HOST_FIELDS.get(type)
                        + " cannot use the jsysbox runtime class: its pods need their own " + type
                        + " namespace; drop " + POD_HOST_FIELDS.get(type) + " or use another runtime class");
            }
            throw new JsysboxException(
                    flag.isEmpty()
                            ? "config.json has no " + type
                                    + " namespace: a jsysbox container needs its own; add {\"type\":\"" + type
                                    + "\"} to linux.namespaces"
                            : flag + " is not supported: a jsysbox container needs its own " + type
                                    + " namespace; drop " + flag);
        }
        Optional<String> joinedUserNamespace = spec.namespace("user")
                .filter(ns -> ns.has("path"))
                .map(ns -> ns.get("path").asText());
        if (joinedUserNamespace.isPresent()) {
            throw new JsysboxException("config.json joins the existing user namespace " + joinedUserNamespace.get()
                    + ": jsysbox creates each container's user namespace itself; drop the --userns option (or "
                    + "the path)");
        }
        JsonNode linux = spec.linux();
        if (!linux.path("uidMappings").isEmpty() || !linux.path("gidMappings").isEmpty()) {
            throw new JsysboxException("config.json already maps user IDs (dockerd userns-remap?): jsysbox gives each "
                    + "container its own ID range; turn userns-remap off in /etc/docker/daemon.json or run "
                    + "with --userns=host");
        }
    }

    /** Docker's --privileged: CAP_SYS_ADMIN and nothing masked or read-only. */
    private static boolean isPrivileged(OciSpec spec) {
        boolean sysAdmin = false;
        for (JsonNode cap : spec.process().path("capabilities").path("bounding")) {
            sysAdmin |= cap.asText().equals("CAP_SYS_ADMIN");
        }
        JsonNode linux = spec.linux();
        return sysAdmin
                && linux.path("maskedPaths").isEmpty()
                && linux.path("readonlyPaths").isEmpty();
    }
}
