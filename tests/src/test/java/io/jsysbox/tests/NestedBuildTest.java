package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With jsysbox as the engine's default runtime (`install.sh --default-runtime`, here `jsysbox default-runtime`), a
 * classic `docker build` whose RUN step starts dockerd and runs a container succeeds, without --privileged.
 */
@EndToEnd
class NestedBuildTest {
    private static final String TAG = "jsysbox-test-nested-build:" + Docker.RUN;

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void aRunStepStartsAnEngineAndRunsAContainer() throws URISyntaxException {
        Path context = Path.of(NestedBuildTest.class.getResource("/nested-build/Dockerfile").toURI()).getParent();
        Jsysbox.cli("default-runtime", "jsysbox").assertOk();
        try {
            Command.Result build = Command.run(Docker.INNER_DOCKER_READY,
                    List.of("env", "DOCKER_BUILDKIT=0", "docker", "build", "-q", "-t", TAG, context.toString()));
            build.assertOk();
            assertEquals("nested-in-build", docker.tryRun("--rm", TAG).result().assertOk().out());
        } finally {
            Jsysbox.cli("default-runtime", "runc").assertOk();
            Docker.docker("rmi", "-f", TAG);
        }
    }
}
