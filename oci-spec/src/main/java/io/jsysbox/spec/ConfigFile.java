package io.jsysbox.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.api.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads and atomically rewrites OCI JSON files (config.json, exec's process.json) as Jackson trees. */
public final class ConfigFile {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ConfigFile() {}

    /** The JSON object in {@code file}, every field kept; anything else is a one-line error naming the file. */
    public static ObjectNode read(Path file) throws JsysboxException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new JsysboxException(file + " does not exist: is the bundle directory right (--bundle)?");
        } catch (IOException e) {
            throw new JsysboxException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (text.isBlank()) {
            throw new JsysboxException(file + " is empty: it must hold the container's OCI spec (see 'runc spec')");
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new JsysboxException(
                    file + " is not valid JSON" + where + ": " + ErrorLog.oneLine(e.getOriginalMessage())
                            + "; fix or regenerate it",
                    e);
        }
        if (!(tree instanceof ObjectNode object)) {
            throw new JsysboxException(
                    file + " holds a JSON " + tree.getNodeType().name().toLowerCase()
                            + ", not an object: it must hold the container's OCI spec (see 'runc spec')");
        }
        return object;
    }

    /** Replaces {@code file} with {@code tree} in one rename, so a reader never sees half a file. */
    public static void write(Path file, ObjectNode tree) throws JsysboxException {
        try {
            // The engine's mode kept (the spec carries the environment, secrets too); no fsync: the bundle lives as
            // long as
            // its container, as runc's own state does.
            AtomicFiles.replace(
                    file,
                    JSON.writeValueAsBytes(tree),
                    Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS),
                    AtomicFiles.Durability.UNTIL_REBOOT);
        } catch (IOException e) {
            throw new JsysboxException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static JsonNode parse(String json, String what) throws JsysboxException {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new JsysboxException(what + " is not valid JSON: " + ErrorLog.oneLine(e.getOriginalMessage()), e);
        }
    }
}
