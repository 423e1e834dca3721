package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An install copied to another CPU (a golden image, a DaemonSet image) must start its programs without the AOT
 * caches trained here: their code uses this CPU's instructions, and the JVM dies with SIGILL on a CPU without them
 * (measured: a cache trained with AVX run under qemu's AVX-less CPU model). The other CPU is this one with a
 * different feature list bind-mounted over /sys/devices/system/cpu/modalias in a private mount namespace: the
 * launchers and {@code jsysbox doctor} read exactly that file.
 */
@EndToEnd
class AotCacheGuardTest {
    private static final Path MODALIAS = Path.of("/sys/devices/system/cpu/modalias");
    private static final String CACHE_FLAG = "-XX:AOTCache=/usr/local/lib/jsysbox/installer/app.aot";
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private Path otherCpu;

    @BeforeEach
    void describeAnotherCpu() throws IOException {
        otherCpu = Files.createTempFile("jsysbox-test-modalias", "");
        // A CPU of the same family whose feature list lacks everything above the first few (no AVX among them).
        Files.writeString(otherCpu, "cpu:type:x86,ven0000fam0006mod0001:feature:,0000,0001,0002\n");
    }

    @AfterEach
    void removeIt() throws IOException {
        Files.deleteIfExists(otherCpu);
    }

    @Test
    void onTheTrainingCpuTheLauncherUsesTheCache() {
        Command.Result run = Command.run(TIMEOUT, "sh", "-x", "/usr/local/bin/jsysbox", "--version")
                .assertOk();
        assertTrue(run.stderr().contains(CACHE_FLAG), run.toString());
    }

    @Test
    void onAnotherCpuTheLauncherStartsWithoutTheCacheAndDoctorSaysSo() {
        Command.Result run =
                onOtherCpu("sh -x /usr/local/bin/jsysbox --version").assertOk();
        assertFalse(run.stderr().contains("-XX:AOTCache"), run.toString());
        assertTrue(run.stdout().contains("jsysbox"), run.toString());

        Command.Result doctor = onOtherCpu("jsysbox doctor");
        assertTrue(
                doctor.stdout()
                        .lines()
                        .anyMatch(line ->
                                line.startsWith("AOT caches: note: ") && line.contains("trained on another CPU")),
                doctor.toString());
    }

    private Command.Result onOtherCpu(String command) {
        return Command.run(
                TIMEOUT,
                List.of(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        "mount --bind " + otherCpu + " " + MODALIAS + " && " + command));
    }
}
