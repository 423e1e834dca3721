package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A process joining a running container ({@code runc exec}'s process.json). In a jsysbox container a root process gets
 * the capabilities the container's init has (Docker's exec process.json lists only Docker's default set) and the
 * container's AppArmor profile (Docker's names docker-default): the user namespace confines both.
 */
public final class ExecProcess {
    private ExecProcess() {}

    /** Whether runc's {@code annotations} of a container are a jsysbox container's (its spec was transformed). */
    public static boolean ofSystemContainer(JsonNode annotations) {
        return annotations.path(SpecOriginal.TRANSFORMED).asText().equals("true");
    }

    /** Rewrites {@code process} to join the system container whose runc annotations are {@code annotations}. */
    public static void joinSystemContainer(ObjectNode process, List<String> boundingSet, JsonNode annotations) {
        SpecTransformer.grantCapabilities(process, boundingSet);
        AppArmorConfinement.forExec(process, annotations);
    }

    /**
     * The annotations in runc's state file of a container ({@code ROOT/ID/state.json}): runc keeps a spec's annotations
     * among its config's labels, as {@code key=value} (with its own {@code bundle=} label), and {@code runc state} reads
     * them back from there.
     */
    public static ObjectNode annotationsOfRuncState(JsonNode state) {
        ObjectNode annotations = JsonNodeFactory.instance.objectNode();
        for (JsonNode label : state.path("config").path("labels")) {
            String text = label.asText();
            int equals = text.indexOf('=');
            if (equals > 0) {
                annotations.put(text.substring(0, equals), text.substring(equals + 1));
            }
        }
        return annotations;
    }
}
