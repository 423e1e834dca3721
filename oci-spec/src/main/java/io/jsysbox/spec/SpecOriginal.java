package io.jsysbox.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * What a rewritten spec keeps of the spec its author wrote, and the undo: the rewrite replaces the root, mounts,
 * namespaces and devices, and cannot re-derive them, so it saves each in an annotation; {@link #of} puts them back,
 * and a create re-run on the same bundle starts again from the author's spec instead of stacking a second rewrite.
 * Also the createRuntime hook {@code run} adds, which the undo takes out.
 */
public final class SpecOriginal {
    /** The annotation that marks a rewritten spec. */
    public static final String TRANSFORMED = "io.jsysbox.transformed";
    /** The jsysbox-runc verb of the createRuntime hook {@code run} adds (see {@link #withStartedHook}). */
    public static final String STARTED_HOOK_VERB = "started-hook";

    static final String UID_RANGE = "io.jsysbox.uid-range";
    static final String GID_RANGE = "io.jsysbox.gid-range";
    static final String ORIGINAL_ROOT = "io.jsysbox.original-root-path";
    static final String ORIGINAL_MOUNTS = "io.jsysbox.original-mounts";
    static final String ORIGINAL_NAMESPACES = "io.jsysbox.original-namespaces";
    static final String ORIGINAL_DEVICES = "io.jsysbox.original-devices";
    /** Set when the spec had no seccomp filter and the rewrite made one (for the agent alone). */
    static final String ADDED_SECCOMP = "io.jsysbox.added-seccomp";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecOriginal() {}

    /** The spec as its author wrote it: an earlier rewrite's root, mounts, namespaces and mappings undone. A copy. */
    static ObjectNode of(ObjectNode spec) {
        ObjectNode copy = spec.deepCopy();
        OciSpec view = OciSpec.of(copy);
        JsonNode annotations = view.annotations();
        if (!annotations.path(TRANSFORMED).asText().equals("true")) {
            return copy;
        }
        ObjectNode linux = view.linuxToWrite();
        if (annotations.has(ORIGINAL_ROOT)) {
            view.setRootPath(annotations.get(ORIGINAL_ROOT).asText());
        }
        restore(copy, "mounts", annotations.path(ORIGINAL_MOUNTS));
        restore(linux, "namespaces", annotations.path(ORIGINAL_NAMESPACES));
        // Kept as they are without the annotation: a rewrite leaves linux.devices alone when it saves none.
        if (annotations.has(ORIGINAL_DEVICES)) {
            restore(linux, "devices", annotations.path(ORIGINAL_DEVICES));
        }
        if (annotations.path(ADDED_SECCOMP).asText().equals("true")) {
            linux.remove("seccomp");
        }
        linux.remove(List.of("uidMappings", "gidMappings"));
        removeStartedHook(copy);
        view.annotationsToWrite()
                .remove(List.of(
                        TRANSFORMED,
                        UID_RANGE,
                        GID_RANGE,
                        ORIGINAL_ROOT,
                        ORIGINAL_MOUNTS,
                        ORIGINAL_NAMESPACES,
                        ORIGINAL_DEVICES,
                        ADDED_SECCOMP));
        return copy;
    }

    /** Saves in {@code rewritten}'s annotations what the rewrite is about to replace (see {@link #of}). */
    static void save(OciSpec rewritten) {
        ObjectNode annotations = rewritten.annotationsToWrite();
        annotations.put(ORIGINAL_ROOT, rewritten.rootPath().orElse(""));
        if (rewritten.json().has("mounts")) {
            annotations.put(ORIGINAL_MOUNTS, rewritten.json().get("mounts").toString());
        }
        JsonNode linux = rewritten.linux();
        if (linux.has("namespaces")) {
            annotations.put(ORIGINAL_NAMESPACES, linux.get("namespaces").toString());
        }
        if (linux.has("devices")) {
            annotations.put(ORIGINAL_DEVICES, linux.get("devices").toString());
        }
    }

    private static void restore(ObjectNode parent, String field, JsonNode savedText) {
        if (savedText.isMissingNode()) {
            parent.remove(field);
            return;
        }
        try {
            parent.set(field, JSON.readTree(savedText.asText()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("annotation for " + field + " is not JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * {@code spec} with {@code command} (argv, argv[0] the program) first among its createRuntime hooks: run's way
     * to reach the manager between runc's creation of the container and its start.
     */
    static ObjectNode withStartedHook(ObjectNode spec, List<String> command, List<String> environment) {
        ObjectNode result = spec.deepCopy();
        ObjectNode hook = result.withObjectProperty("hooks")
                .withArrayProperty("createRuntime")
                .insertObject(0);
        hook.put("path", command.getFirst());
        hook.set("args", OciSpec.textArray(command));
        if (!environment.isEmpty()) {
            hook.set("env", OciSpec.textArray(environment));
        }
        hook.put("timeout", 60);
        return result;
    }

    private static void removeStartedHook(ObjectNode spec) {
        if (!(spec.path("hooks") instanceof ObjectNode hooks)
                || !(hooks.path("createRuntime") instanceof ArrayNode createRuntime)) {
            return;
        }
        for (int i = createRuntime.size() - 1; i >= 0; i--) {
            if (createRuntime
                    .get(i)
                    .path("args")
                    .valueStream()
                    .anyMatch(arg -> arg.asText().equals(STARTED_HOOK_VERB))) {
                createRuntime.remove(i);
            }
        }
        if (createRuntime.isEmpty()) {
            hooks.remove("createRuntime");
        }
    }
}
