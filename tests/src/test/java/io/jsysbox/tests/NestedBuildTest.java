package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With jsysbox as the engine's default runtime (`install.sh --default-runtime`, here `jsysbox default-runtime`), a
 * classic `docker build` whose RUN step starts dockerd and runs a container succeeds, without --privileged; the
 * images the step loaded are in the built image (preloading by docker build).
 */
@EndToEnd
class NestedBuildTest {
    private static final String TAG = "jsysbox-test-nested-build:" + Docker.RUN;

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void aRunStepStartsAnEngineAndRunsAContainer() throws URISyntaxException {
        Path context = Path.of(NestedBuildTest.class
                        .getResource("/nested-build/Dockerfile")
                        .toURI())
                .getParent();
        Jsysbox.cli("default-runtime", "jsysbox").assertOk();
        try {
            Command.Result build = Command.run(
                    Docker.INNER_DOCKER_READY,
                    List.of("env", "DOCKER_BUILDKIT=0", "docker", "build", "-q", "-t", TAG, context.toString()));
            build.assertOk();
            assertEquals(
                    "nested-in-build",
                    docker.tryRun("--rm", TAG).result().assertOk().out());
            String engine = docker.runDetached(
                    "--runtime=jsysbox", TAG, "/usr/bin/tini", "--", "/usr/local/bin/jsysbox-dind-init");
            Docker.awaitInnerDocker(engine);
            assertEquals(
                    "preloaded",
                    Docker.execOk(engine, "docker", "run", "--rm", "preloaded-in-build", "echo", "preloaded"),
                    "the image the build step loaded is not in the built image");
        } finally {
            Jsysbox.cli("default-runtime", "runc").assertOk();
            Docker.docker("rmi", "-f", TAG);
        }
    }
}
