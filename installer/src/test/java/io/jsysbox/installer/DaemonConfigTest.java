package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DaemonConfigTest {
    private static final String RUNC = "/usr/local/bin/jsysbox-runc";

    @Test
    void missingFileBecomesJustTheRuntime() throws Exception {
        JsonNode json = tree(DaemonConfig.withRuntime("", "jsysbox", RUNC));
        assertEquals(tree("{\"runtimes\":{\"jsysbox\":{\"path\":\"" + RUNC + "\"}}}"), json);
    }

    @Test
    void otherKeysAndRuntimesAreKept() throws Exception {
        String original =
                "{\"log-level\":\"debug\",\"runtimes\":{\"crun\":{\"path\":\"/usr/bin/crun\",\"runtimeArgs\":[\"--x\"]}},"
                        + "\"default-address-pools\":[{\"base\":\"10.9.0.0/16\",\"size\":24}]}";
        JsonNode json = tree(DaemonConfig.withRuntime(original, "jsysbox", RUNC));
        assertEquals("debug", json.path("log-level").asText());
        assertEquals(
                "/usr/bin/crun", json.path("runtimes").path("crun").path("path").asText());
        assertEquals(
                "--x",
                json.path("runtimes").path("crun").path("runtimeArgs").path(0).asText());
        assertEquals(24, json.path("default-address-pools").path(0).path("size").asInt());
        assertEquals(RUNC, json.path("runtimes").path("jsysbox").path("path").asText());
    }

    @Test
    void anOutdatedPathIsReplaced() {
        String updated = DaemonConfig.withRuntime("{\"runtimes\":{\"jsysbox\":{\"path\":\"/old\"}}}", "jsysbox", RUNC);
        assertTrue(DaemonConfig.hasRuntime(updated, "jsysbox", RUNC));
        assertFalse(DaemonConfig.hasRuntime("{\"runtimes\":{\"jsysbox\":{\"path\":\"/old\"}}}", "jsysbox", RUNC));
    }

    @Test
    void removalRestoresTheOtherKeys() throws Exception {
        String original = "{\"log-level\":\"debug\",\"runtimes\":{\"crun\":{\"path\":\"/usr/bin/crun\"}}}";
        String without = DaemonConfig.withoutRuntime(DaemonConfig.withRuntime(original, "jsysbox", RUNC), "jsysbox");
        assertEquals(tree(original), tree(without));
        assertEquals(tree(original), tree(DaemonConfig.tidy(without).orElseThrow()));
    }

    @Test
    void removalKeepsAnEmptiedRuntimesForTheReloadThenTidiesItAway() throws Exception {
        String original = "{\"log-level\":\"debug\"}";
        String without = DaemonConfig.withoutRuntime(DaemonConfig.withRuntime(original, "jsysbox", RUNC), "jsysbox");
        assertEquals(tree("{\"log-level\":\"debug\",\"runtimes\":{}}"), tree(without));
        assertEquals(tree(original), tree(DaemonConfig.tidy(without).orElseThrow()));
    }

    @Test
    void aFileWithoutRuntimesGetsAnEmptyOneSoTheReloadDropsTheEnginesCopy() throws Exception {
        assertEquals(tree("{\"runtimes\":{}}"), tree(DaemonConfig.withoutRuntime("{ }", "jsysbox")));
    }

    @Test
    void nothingIsLeftWhenTheRuntimeWasTheOnlyKey() {
        String without = DaemonConfig.withoutRuntime(DaemonConfig.withRuntime("", "jsysbox", RUNC), "jsysbox");
        assertEquals(Optional.empty(), DaemonConfig.tidy(without));
    }

    @Test
    void invalidJsonIsRefusedWithAHint() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> DaemonConfig.withRuntime("{\"a\":", "jsysbox", RUNC));
        assertTrue(e.getMessage().contains("fix or remove it"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DaemonConfig.withRuntime("[1]", "jsysbox", RUNC));
        assertThrows(
                IllegalArgumentException.class, () -> DaemonConfig.withRuntime("{\"runtimes\":[]}", "jsysbox", RUNC));
    }

    private static JsonNode tree(String json) throws Exception {
        return new ObjectMapper().readTree(json);
    }
}
