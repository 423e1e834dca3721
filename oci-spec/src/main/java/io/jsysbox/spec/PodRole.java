package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a container is in a Kubernetes pod, read from the annotations the CRI puts in its spec (containerd's
 * {@code io.kubernetes.cri.*}, CRI-O's {@code io.kubernetes.cri-o.*}): the pod's sandbox, one of the pod's
 * containers (naming its sandbox), or no pod's at all (Docker, ctr, runc users).
 *
 * <p>Why it matters: a pod's containers join the sandbox's IPC, UTS and network namespaces, which the kernel lets a
 * process do only from the user namespace owning them. So the sandbox makes the pod's user namespace and its network,
 * IPC and UTS namespaces in it, and each container of the pod joins that user namespace (and so shares its ID range).
 */
public record PodRole(Kind kind, String sandboxId) {
    enum Kind {
        NONE,
        SANDBOX,
        CONTAINER
    }

    static final PodRole NONE = new PodRole(Kind.NONE, "");

    private static final String[] TYPE_ANNOTATIONS = {
        "io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType"
    };
    private static final String[] SANDBOX_ANNOTATIONS = {"io.kubernetes.cri.sandbox-id", "io.kubernetes.cri-o.SandboxID"
    };

    static PodRole of(JsonNode spec) throws JsysboxException {
        JsonNode annotations = spec.path("annotations");
        String type = first(annotations, TYPE_ANNOTATIONS);
        return switch (type) {
            case "" -> NONE;
            case "sandbox" -> new PodRole(Kind.SANDBOX, "");
            case "container" -> {
                String sandbox = first(annotations, SANDBOX_ANNOTATIONS);
                if (sandbox.isEmpty()) {
                    throw new JsysboxException(
                            "config.json says this is a pod's container but names no sandbox: annotate it with "
                                    + SANDBOX_ANNOTATIONS[0] + " (or " + SANDBOX_ANNOTATIONS[1] + ")");
                }
                yield new PodRole(Kind.CONTAINER, sandbox);
            }
            default ->
                throw new JsysboxException("unknown pod container type '" + type
                        + "' in config.json's annotations: expected 'sandbox' or 'container'");
        };
    }

    boolean isSandbox() {
        return kind == Kind.SANDBOX;
    }

    private static String first(JsonNode annotations, String[] names) {
        for (String name : names) {
            if (annotations.path(name).isTextual()) {
                return annotations.path(name).asText();
            }
        }
        return "";
    }
}
