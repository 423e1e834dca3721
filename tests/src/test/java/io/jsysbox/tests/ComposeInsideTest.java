package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Debian's docker-compose inside a jsysbox container: services reach each other by name, `down` removes everything. */
@EndToEnd
class ComposeInsideTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void twoServicesReachEachOtherByNameAndDownRemovesEverything() throws IOException {
        String compose;
        try (InputStream file = ComposeInsideTest.class.getResourceAsStream("/compose/docker-compose.yml")) {
            compose = new String(file.readAllBytes(), StandardCharsets.UTF_8);
        }
        String dind = docker.startDind();
        Docker.execOk(dind, "sh", "-c", "mkdir -p /app && printf %s \"$1\" > /app/docker-compose.yml", "sh", compose);
        Docker.execOk(dind, "sh", "-c", "cd /app && docker-compose up -d");

        String logs = Await.until(
                        "the client service to fetch the web service's page",
                        Docker.INNER_DOCKER_READY,
                        () -> Docker.exec(dind, "sh", "-c", "cd /app && docker-compose logs --no-color client"),
                        result -> result.ok() && result.stdout().contains("hello-from-web"))
                .stdout();
        assertTrue(logs.contains("hello-from-web"), logs);
        assertEquals("0", Docker.execOk(dind, "docker", "inspect", "-f", "{{.State.ExitCode}}", "app_client_1"));

        Docker.execOk(dind, "sh", "-c", "cd /app && docker-compose down");
        assertEquals("", Docker.execOk(dind, "docker", "ps", "-aq"), "no container left");
        assertEquals(
                "bridge\nhost\nnone",
                Docker.execOk(dind, "docker", "network", "ls", "--format", "{{.Name}}"),
                "the project's network is gone");
    }
}
