package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Testcontainers suite (tests/testcontainers-inside) runs inside a jsysbox container that has a JDK, Maven and
 * dockerd, Maven offline on a read-only, ID-mapped Maven repository from the host. Testcontainers needs three
 * settings offline: no resource reaper (its ryuk image cannot be pulled; the container's own engine dies with the
 * container anyway), the host given (it would otherwise run an alpine helper to find the gateway) and no startup
 * checks (another alpine helper).
 */
@EndToEnd
class TestcontainersInsideTest {
    private static final Path PROJECT = Path.of("testcontainers-inside").toAbsolutePath();
    private static final String HTTPD_IMAGE = "local/httpd:1";
    private static final String HTTPD_DOCKERFILE =
            "FROM %s\nRUN mkdir /www && echo hello-from-testcontainers > /www/index.html\n"
                    + "CMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";
    private static final String OFFLINE_TESTCONTAINERS =
            "TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost "
                    + "TESTCONTAINERS_CHECKS_DISABLE=true";

    @RegisterExtension
    static final Docker docker = new Docker();

    private Path repository;

    @AfterEach
    void removeRepository() throws IOException {
        if (repository != null) {
            Command.run(Docker.COMMAND_TIMEOUT, "rm", "-rf", "--one-file-system", repository.toString());
        }
        Docker.docker("rmi", "-f", HTTPD_IMAGE);
    }

    @Test
    void aTestcontainersSuiteRunsInsideOfflineWithTheHostsMavenRepository() throws IOException {
        // The host's Maven repository for the suite: filled by one run of it on the host (Maven Central reachable),
        // against the host's engine with the same offline settings: no registry answers here either, and a fresh
        // machine has no ryuk or alpine image (Testcontainers' startup checks would wait on pulling one).
        repository = Files.createTempDirectory(Path.of("/var/tmp"), "jsysbox-test-m2-");
        buildHttpdImage(Docker.BUSYBOX_IMAGE);
        List<String> hostRunCommand = new ArrayList<>(List.of("env"));
        hostRunCommand.addAll(List.of(OFFLINE_TESTCONTAINERS.split(" ")));
        hostRunCommand.addAll(List.of(
                "mvn",
                "-B",
                "-q",
                "-f",
                PROJECT.resolve("pom.xml").toString(),
                "-Dmaven.repo.local=" + repository,
                "test"));
        Command.Result hostRun = Command.run(Docker.INNER_DOCKER_READY, hostRunCommand);
        hostRun.assertOk();
        Command.run(
                Docker.COMMAND_TIMEOUT, "rm", "-rf", PROJECT.resolve("target").toString());

        String id = docker.runDetached(
                "--runtime=jsysbox",
                "-v",
                repository + ":/host-m2:ro",
                "-v",
                PROJECT + ":/project:ro",
                "jsysbox/jdk:latest");
        Docker.awaitInnerDocker(id);
        Docker.execOk(
                id,
                "sh",
                "-c",
                "printf '" + HTTPD_DOCKERFILE.formatted("busybox").replace("\n", "\\n") + "' | docker build -q -t "
                        + HTTPD_IMAGE + " -");
        Command.Result suite = Docker.exec(
                id,
                "sh",
                "-c",
                "cp -r /project /work && cd /work && " + OFFLINE_TESTCONTAINERS
                        + " mvn -B -o -llr -Dmaven.repo.local=/host-m2 test");
        assertTrue(
                suite.ok() && suite.stdout().contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"),
                suite.toString());
    }

    private static void buildHttpdImage(String base) {
        Command.run(
                        Docker.COMMAND_TIMEOUT,
                        List.of(
                                "sh",
                                "-c",
                                "printf '" + HTTPD_DOCKERFILE.formatted(base).replace("\n", "\\n")
                                        + "' | DOCKER_BUILDKIT=0 docker build -q -t " + HTTPD_IMAGE + " -"))
                .assertOk();
    }
}
