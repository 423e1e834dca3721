package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Skips {@link EndToEnd} classes unless enabled; when enabled, fails them on a host that is not set up. */
final class EndToEndGate implements ExecutionCondition, BeforeAllCallback {
    static final String PROPERTY = "jsysbox.e2e";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EndToEndGate.class);

    /** Reported as skipped (not as zero tests) so a unit-only build shows what it left out. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return Boolean.getBoolean(PROPERTY)
                ? ConditionEvaluationResult.enabled("-D" + PROPERTY + "=true")
                : ConditionEvaluationResult.disabled(
                        "end-to-end test: runs only with -D" + PROPERTY + "=true (tests/run.sh sets it)");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        // Checked once per test run; every class then fails with the same explanation.
        String problems = context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent("host problems", key -> hostProblems(), String.class);
        if (!problems.isEmpty()) {
            fail("host not ready for end-to-end tests:\n" + problems);
        }
    }

    /** One line per missing prerequisite, each saying how to fix it; empty when the host is ready. */
    private static String hostProblems() {
        List<String> problems = new ArrayList<>();
        Command.Result info = Docker.docker("info", "-f", "{{json .Runtimes}}");
        if (!info.ok()) {
            problems.add("no Docker engine answers `docker info`: start dockerd (installer/install.sh does)");
        } else if (!info.stdout().contains("\"jsysbox\"")) {
            problems.add("Docker has no runtime `jsysbox` (" + info.out() + "): run installer/install.sh");
        }
        for (String binary : List.of("jsysbox-runc", "jsysbox-mgr", "jsysbox-fs", "jsysbox")) {
            if (!Files.isExecutable(Path.of("/usr/local/bin", binary))) {
                problems.add("/usr/local/bin/" + binary + " is missing: run installer/install.sh");
            }
        }
        if (problems.isEmpty() && !Jsysbox.status().ok()) {
            problems.add("jsysbox-mgr does not answer `jsysbox status`: run `jsysbox start` (or installer/install.sh)");
        }
        for (String image : List.of(Docker.DIND_IMAGE, Docker.BUSYBOX_IMAGE)) {
            if (info.ok() && !Docker.docker("image", "inspect", image).ok()) {
                problems.add("image " + image + " is missing: run installer/images/build-images.sh");
            }
        }
        return String.join("\n", problems);
    }
}
