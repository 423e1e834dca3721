package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** As runc 1.1–1.3 write ROOT/ID/state.json: the spec's annotations among the config's labels. */
    private static final String RUNC_STATE = """
            {"id":"c1","init_process_pid":42,"config":{"labels":[
              "io.jsysbox.transformed=true","io.jsysbox.apparmor-profile=jsysbox-container",
              "io.jsysbox.original-mounts=[{\\"destination\\":\\"/proc\\"}]","bundle=/run/containerd/c1"]}}
            """;

    @Test
    void runcsStateFileCarriesTheAnnotationsAsLabels() throws Exception {
        JsonNode annotations = ExecProcess.annotationsOfRuncState(JSON.readTree(RUNC_STATE));
        assertTrue(ExecProcess.ofSystemContainer(annotations));
        assertEquals(
                "jsysbox-container",
                annotations.path("io.jsysbox.apparmor-profile").asText());
        assertEquals(
                "[{\"destination\":\"/proc\"}]",
                annotations.path("io.jsysbox.original-mounts").asText(),
                "a value holding '=' stays whole");
        assertEquals("/run/containerd/c1", annotations.path("bundle").asText());
        assertFalse(
                ExecProcess.ofSystemContainer(
                        ExecProcess.annotationsOfRuncState(JSON.readTree("{\"config\":{\"labels\":[\"bundle=/b\"]}}"))),
                "a plain runc container");
    }

    @Test
    void aRootProcessGetsTheContainersCapabilitiesAndProfile() throws Exception {
        ObjectNode process = (ObjectNode) JSON.readTree("""
                {"user":{"uid":0},"args":["sh"],"apparmorProfile":"docker-default",
                 "capabilities":{"bounding":["CAP_CHOWN"],"effective":["CAP_CHOWN"],"permitted":["CAP_CHOWN"]}}
                """);
        ExecProcess.joinSystemContainer(
                process,
                List.of("CAP_CHOWN", "CAP_SYS_ADMIN"),
                ExecProcess.annotationsOfRuncState(JSON.readTree(RUNC_STATE)));
        assertEquals("jsysbox-container", process.path("apparmorProfile").asText());
        for (String set : List.of("bounding", "effective", "permitted")) {
            assertEquals(
                    "[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]",
                    process.path("capabilities").path(set).toString(),
                    set);
        }
    }
}
