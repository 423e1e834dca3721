package io.jsysbox.installer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** Edits Docker's daemon.json: adds or removes one entry of {@code runtimes}, keeping every other key. Pure. */
public final class DaemonConfig {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private DaemonConfig() {}

    /** {@code text} (empty for a missing file) with {@code runtimes.<name>.path = path}. */
    public static String withRuntime(String text, String name, String path) {
        ObjectNode root = parse(text);
        JsonNode runtimes = root.path("runtimes");
        if (!runtimes.isMissingNode() && !runtimes.isObject()) {
            throw new IllegalArgumentException("daemon.json: \"runtimes\" is not an object: fix it by hand");
        }
        ObjectNode entry = (runtimes.isObject() ? (ObjectNode) runtimes : root.putObject("runtimes")).putObject(name);
        entry.put("path", path);
        return render(root);
    }

    /**
     * {@code text} without {@code runtimes.<name>}. An emptied {@code runtimes} stays as {@code {}}: dockerd's
     * SIGHUP reload only replaces the keys present in the file, so a missing key would keep the old runtimes; for
     * the same reason a file without {@code runtimes} gets an empty one.
     */
    public static String withoutRuntime(String text, String name) {
        ObjectNode root = parse(text);
        JsonNode runtimes = root.path("runtimes");
        if (runtimes instanceof ObjectNode object) {
            object.remove(name);
        } else if (runtimes.isMissingNode()) {
            root.putObject("runtimes");
        }
        return render(root);
    }

    /** {@code text} without an empty {@code runtimes}, for after the reload; empty when nothing is left. */
    public static Optional<String> tidy(String text) {
        ObjectNode root = parse(text);
        if (root.path("runtimes") instanceof ObjectNode runtimes && runtimes.isEmpty()) {
            root.remove("runtimes");
        }
        return root.isEmpty() ? Optional.empty() : Optional.of(render(root));
    }

    /**
     * {@code text} with {@code "default-runtime": name}. Set, never removed: dockerd's SIGHUP reload keeps the old
     * value of a key missing from the file, so going back to runc means writing "runc".
     */
    public static String withDefaultRuntime(String text, String name) {
        ObjectNode root = parse(text);
        root.put("default-runtime", name);
        return render(root);
    }

    /** The file's default runtime, "runc" (dockerd's) when it names none. */
    public static String defaultRuntime(String text) {
        return parse(text).path("default-runtime").asText("runc");
    }

    public static boolean hasRuntime(String text, String name, String path) {
        return path.equals(parse(text).path("runtimes").path(name).path("path").asText(null));
    }

    private static ObjectNode parse(String text) {
        if (text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(text);
            if (node instanceof ObjectNode object) {
                return object;
            }
            throw new IllegalArgumentException("daemon.json is not a JSON object: fix or remove it");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "daemon.json is not valid JSON (" + e.getOriginalMessage() + "): fix or remove it");
        }
    }

    private static String render(ObjectNode root) {
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render daemon.json", e);
        }
    }
}
