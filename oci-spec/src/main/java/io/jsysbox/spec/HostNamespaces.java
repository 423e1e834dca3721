package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which namespaces a spec joins that are the host's own (those of this process: the shim runs us in them; pid 1's
 * may not even be readable). Docker's --network=host does not drop the network
 * namespace, it names the host's by path (/var/run/docker/netns/default): only the file's identity tells.
 */
public final class HostNamespaces {
    /** linux.namespaces type → /proc/self/ns file name. */
    private static final Map<String, String> PROC_NAMES = Map.of(
            "pid", "pid", "network", "net", "ipc", "ipc", "uts", "uts", "mount", "mnt", "cgroup", "cgroup", "user",
            "user");

    private HostNamespaces() {}

    static Set<String> joinedBy(ObjectNode spec) {
        Set<String> joined = new HashSet<>();
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            String type = namespace.path("type").asText();
            String procName = PROC_NAMES.get(type);
            if (procName == null || !namespace.path("path").isTextual()) {
                continue;
            }
            if (sameFile(Path.of(namespace.path("path").asText()), Path.of("/proc/self/ns", procName))) {
                joined.add(type);
            }
        }
        return joined;
    }

    /**
     * Namespace files are the same namespace when stat (following the /proc magic link) gives the same dev and inode.
     */
    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.getAttribute(a, "unix:dev").equals(Files.getAttribute(b, "unix:dev"))
                    && Files.getAttribute(a, "unix:ino").equals(Files.getAttribute(b, "unix:ino"));
        } catch (IOException | RuntimeException e) {
            return false; // runc reports a path it cannot open.
        }
    }
}
