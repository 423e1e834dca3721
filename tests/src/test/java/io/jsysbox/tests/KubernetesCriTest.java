package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsysbox.tests.cri.RuntimeCondition;
import io.jsysbox.tests.cri.StatusRequest;
import io.jsysbox.tests.cri.StatusResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kubernetes through containerd's CRI, spoken by a CRI client as the kubelet would (no kubelet here): containerd
 * loads the runtime handler jsysbox the installer registers, and keeps the rest of its config.
 */
@EndToEnd
class KubernetesCriTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final Containerd containerd = new Containerd();

    @Test
    void containerdsCriServesTheJsysboxRuntimeHandler() throws Exception {
        StatusResponse status = containerd.runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
        assertTrue(status.getStatus().getConditionsList().stream()
                .anyMatch(condition -> condition.getType().equals("RuntimeReady") && condition.getStatus()), status.getStatus().toString());

        JsonNode config = JSON.readTree(status.getInfoOrThrow("config"));
        JsonNode handler = config.path("containerd").path("runtimes").path(Containerd.HANDLER);
        assertEquals("io.containerd.runc.v2", handler.path("runtimeType").asText(), handler.toString());
        assertEquals(Containerd.RUNTIME, handler.path("options").path("BinaryName").asText(), handler.toString());
        assertEquals(containerd.dir().resolve("cni").toString(), config.path("cni").path("confDir").asText(),
                "the rest of the config must be kept");
    }
}
