package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A typed view of an OCI runtime spec (config.json) over its JSON tree: the parts jsysbox reads and rewrites have
 * names and types here, everything else stays in the tree as the engine wrote it (a newer runtime-spec field, a
 * vendor's annotation), so a rewrite keeps what it does not know. Reads never create anything; the {@code ...ToWrite}
 * accessors create the object or array when the spec has none.
 */
final class OciSpec {
    private final ObjectNode json;

    private OciSpec(ObjectNode json) {
        this.json = json;
    }

    /** The view over {@code json} itself (not a copy: writes through the view change it). */
    static OciSpec of(ObjectNode json) {
        return new OciSpec(json);
    }

    ObjectNode json() {
        return json;
    }

    /** root.path as written (relative to the bundle or absolute), if it is a string. */
    Optional<String> rootPath() {
        JsonNode path = json.path("root").path("path");
        return path.isTextual() ? Optional.of(path.asText()) : Optional.empty();
    }

    void setRootPath(String path) {
        json.withObjectProperty("root").put("path", path);
    }

    boolean hasProcess() {
        return json.path("process").isObject();
    }

    JsonNode process() {
        return json.path("process");
    }

    ObjectNode processToWrite() {
        return json.withObjectProperty("process");
    }

    JsonNode linux() {
        return json.path("linux");
    }

    ObjectNode linuxToWrite() {
        return json.withObjectProperty("linux");
    }

    JsonNode annotations() {
        return json.path("annotations");
    }

    ObjectNode annotationsToWrite() {
        return json.withObjectProperty("annotations");
    }

    /** The mounts in spec order, each with its index in {@code mounts}. */
    List<Mount> mounts() {
        List<Mount> mounts = new ArrayList<>();
        JsonNode array = json.path("mounts");
        for (int i = 0; i < array.size(); i++) {
            if (array.get(i) instanceof ObjectNode mount) {
                mounts.add(new Mount(i, mount));
            }
        }
        return mounts;
    }

    ArrayNode mountsToWrite() {
        return json.withArrayProperty("mounts");
    }

    /** The entry of linux.namespaces of {@code type} ("pid", "network", "user"...), if the spec has one. */
    Optional<ObjectNode> namespace(String type) {
        for (JsonNode namespace : linux().path("namespaces")) {
            if (namespace.path("type").asText().equals(type) && namespace instanceof ObjectNode entry) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
    }

    /** The path of the namespace of {@code type} the spec joins, if it joins one (rather than making it). */
    Optional<String> joinedNamespace(String type) {
        return namespace(type).map(ns -> ns.path("path").asText("")).filter(path -> !path.isEmpty());
    }

    /** Whether process.env holds exactly {@code entry} ("NAME=value"). */
    boolean hasEnvironmentEntry(String entry) {
        for (JsonNode variable : process().path("env")) {
            if (variable.asText().equals(entry)) {
                return true;
            }
        }
        return false;
    }

    static ArrayNode textArray(List<String> texts) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        texts.forEach(array::add);
        return array;
    }

    /** One entry of {@code mounts}, at {@code index}. */
    record Mount(int index, ObjectNode json) {
        String source() {
            return json.path("source").asText();
        }

        String type() {
            return json.path("type").asText();
        }

        /** The destination as an absolute, normalized path ("sys/" → "/sys"), as runc resolves it. */
        Path destination() {
            return Path.of("/").resolve(json.path("destination").asText()).normalize();
        }

        boolean hasOption(String option) {
            for (JsonNode present : json.path("options")) {
                if (present.asText().equals(option)) {
                    return true;
                }
            }
            return false;
        }

        /** A bind mount: of type bind, or with the bind or rbind option (runc's two ways). */
        boolean isBind() {
            return type().equals("bind") || hasOption("bind") || hasOption("rbind");
        }

        ArrayNode optionsToWrite() {
            return json.withArrayProperty("options");
        }
    }
}
