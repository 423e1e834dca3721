package io.jsysbox.inside;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** A Testcontainers test as a team writes it: a container from a local image, reached over its mapped port. */
class HttpContainerTest {
    @Test
    void talksToAContainerOverItsMappedPort() throws Exception {
        try (GenericContainer<?> web = new GenericContainer<>(DockerImageName.parse("local/httpd:1"))
                .withExposedPorts(8080)
                .waitingFor(Wait.forHttp("/").forPort(8080))) {
            web.start();
            URI uri = URI.create("http://" + web.getHost() + ":" + web.getMappedPort(8080) + "/");
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("hello-from-testcontainers\n", response.body());
        }
    }
}
