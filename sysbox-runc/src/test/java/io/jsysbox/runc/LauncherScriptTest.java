package io.jsysbox.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.api.UnixChannels;
import io.jsysbox.spec.AppArmorConfinement;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's routing (src/main/launcher/dispatch.sh, run by sh as installed), with a fake runc and a fake netcat
 * that record their calls, and a last line standing in for the JVM's start: which verbs reach runc directly, which the
 * JVM, and create's exchange with the manager, failures included. No root, no daemons.
 */
class LauncherScriptTest {
    private static final Path DISPATCH = Path.of("src/main/launcher/dispatch.sh");

    @TempDir
    Path work;

    private Path calls;
    private Path fakes;
    private Path launcher;
    private final Map<String, String> environment = new HashMap<>();

    private record Outcome(int exitCode, String stderr, List<String> calls) {}

    @BeforeEach
    void writeFakes() throws IOException {
        calls = work.resolve("calls");
        fakes = Files.createDirectories(work.resolve("bin"));
        launcher = work.resolve("jsysbox-runc");
        Files.writeString(launcher, Files.readString(DISPATCH) + "echo \"jvm $*\" >>\"$CALLS\"\n");
        // runc: records its arguments, writes 4242 to a --pid-file, exits FAKE_RUNC_CREATE_EXIT on create.
        executable(fakes.resolve("runc"), """
                #!/bin/sh
                echo "runc $*" >>"$CALLS"
                prev=
                for arg do
                  [ "$prev" = --pid-file ] && echo 4242 >"$arg"
                  prev=$arg
                done
                case " $* " in *" create "*) exit "${FAKE_RUNC_CREATE_EXIT:-0}" ;; esac
                """);
        // nc.openbsd: records the request's step and fields, answers FAKE_<step> (status, message; default 200).
        executable(fakes.resolve("nc.openbsd"), """
                #!/bin/sh
                read -r step
                fields=
                while read -r field && [ -n "$field" ]; do fields="$fields $field"; done
                echo "nc $* $step$fields" >>"$CALLS"
                eval "echo \\"\\${FAKE_$step-200 }\\""
                """);
        environment.put("CALLS", calls.toString());
        environment.put("JSYSBOX_RUNC", fakes.resolve("runc").toString());
        environment.put("PATH", fakes + ":/usr/bin:/bin");
    }

    private static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Outcome launch(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("/bin/sh", launcher.toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the launcher hangs");
        List<String> recorded = Files.exists(calls) ? Files.readAllLines(calls) : List.of();
        return new Outcome(process.exitValue(), stderr, recorded);
    }

    @Test
    void runcsOwnVerbsGoStraightToRuncWithEveryFlag() throws Exception {
        for (String verb : List.of("start", "state", "kill", "delete", "ps", "features")) {
            Files.deleteIfExists(calls);
            Outcome outcome = launch("--root", "/r", "--log", "/l", "--log-format", "json", verb, "c1");
            assertEquals(List.of("runc --root /r --log /l --log-format json " + verb + " c1"), outcome.calls(), verb);
        }
    }

    @Test
    void runPauseAndUnknownInputGoToTheJvm() throws Exception {
        for (String verb : List.of("run", "pause", "--help", "bogus")) {
            Files.deleteIfExists(calls);
            assertEquals(List.of("jvm " + verb + " c1"), launch(verb, "c1").calls(), verb);
        }
    }

    private static String ownBoundingMask() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("CapBnd:"))
                .findFirst()
                .orElseThrow()
                .substring(7)
                .strip();
    }

    @Test
    void execGoesToRuncOnlyWhenItsProcessAlreadyHasASystemContainersPowers() throws Exception {
        Path ready = work.resolve("ready.json");
        Files.writeString(
                ready,
                "{\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\"]},\"apparmorProfile\":\"jsysbox-container\"}");
        assertEquals(
                List.of("runc exec --process " + ready + " c1"),
                launch("exec", "--process", ready.toString(), "c1").calls());
        Files.deleteIfExists(calls);
        assertEquals(List.of("runc exec c1 sh"), launch("exec", "c1", "sh").calls(), "no process file: runc's own");
        Files.deleteIfExists(calls);
        Path indented = work.resolve("indented.json");
        Files.writeString(
                indented, "{\n  \"capabilities\": {\n    \"bounding\": [\n      \"CAP_SYS_ADMIN\"\n    ]\n  }\n}");
        assertEquals(
                List.of("runc exec --process " + indented + " c1"),
                launch("exec", "--process", indented.toString(), "c1").calls(),
                "on any line, and a last line without its newline");
        Files.deleteIfExists(calls);
        Path confined = work.resolve("confined.json");
        Files.writeString(
                confined,
                "{\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\"]},\"apparmorProfile\":\"cri-containerd.apparmor.d\"}");
        assertEquals(
                "nc",
                launch("exec", "--process", confined.toString(), "c1")
                        .calls()
                        .getFirst()
                        .split(" ")[0],
                "an engine's default profile: the manager gives it the container's");
    }

    @Test
    void execOfDockersProcessAsksTheManagerToJoinItThenRunsRunc() throws Exception {
        Files.writeString(
                work.resolve("docker.json"),
                "{\"capabilities\":{\"bounding\":[\"CAP_CHOWN\"]},\"apparmorProfile\":\"docker-default\"}");
        String process = work.toRealPath().resolve("docker.json").toString();
        Outcome outcome = launch(
                "--root", "/r", "--log", "/l", "exec", "-t", "--cwd", "/", "-p", "docker.json", "--detach", "c1", "-p");
        assertEquals(0, outcome.exitCode(), outcome.toString());
        assertEquals(
                List.of(
                        "nc -U /run/jsysbox/launcher.sock exec log=/l log-format= id=c1 process=" + process
                                + " state=/r/c1/state.json capbnd=" + ownBoundingMask(),
                        "runc --root /r --log /l exec -t --cwd / -p docker.json --detach c1 -p"),
                outcome.calls(),
                "the command's own -p is not the process file");
    }

    @Test
    void execFallsBackToTheJvmWhereTheManagerDoesNotJoinIt() throws Exception {
        Files.writeString(work.resolve("docker.json"), "{\"apparmorProfile\":\"docker-default\"}");
        String process = work.resolve("docker.json").toString();
        environment.put("FAKE_exec", "422 jsysbox-mgr could not exec container c1: no such file");
        Outcome refused = launch("exec", "-p", process, "c1");
        assertEquals("jvm exec -p " + process + " c1", refused.calls().getLast(), "a refusal: the CLI says it as runc");
        Files.deleteIfExists(calls);
        environment.remove("FAKE_exec");
        assertEquals(
                List.of("jvm exec --preserve-fds 1 -p " + process + " c1"),
                launch("exec", "--preserve-fds", "1", "-p", process, "c1").calls(),
                "refused by the CLI");
        Files.deleteIfExists(calls);
        assertEquals(
                List.of("jvm exec --bogus -p " + process + " c1"),
                launch("exec", "--bogus", "-p", process, "c1").calls(),
                "a flag the scan does not know");
        Files.deleteIfExists(calls);
        Files.delete(fakes.resolve("nc.openbsd"));
        assertEquals(
                List.of("jvm exec -p " + process + " c1"),
                launch("exec", "-p", process, "c1").calls(),
                "no netcat");
    }

    @Test
    void createAsksTheManagerAroundRunc() throws Exception {
        Outcome outcome = launch(
                "--root",
                "/r",
                "--log",
                "/l",
                "--log-format",
                "json",
                "create",
                "--bundle",
                "b",
                "--pid-file",
                "p",
                "--console-socket",
                "/s",
                "c1");
        String bundle = work.toRealPath().resolve("b").toString();
        // The launcher sends its own bounding set, which it inherits from this process: what runc can grant.
        String boundingMask = ownBoundingMask();
        assertEquals(0, outcome.exitCode(), outcome.toString());
        assertEquals(
                List.of(
                        "nc -U /run/jsysbox/launcher.sock create log=/l log-format=json id=c1 bundle=" + bundle
                                + " capbnd=" + boundingMask,
                        "runc --root /r --log /l --log-format json create --bundle b --pid-file p --console-socket /s "
                                + "c1",
                        "nc -U /run/jsysbox/launcher.sock started log=/l log-format=json id=c1 pid=4242 bundle="
                                + bundle),
                outcome.calls());
        assertEquals("", outcome.stderr());
    }

    @Test
    void createsRefusalIsTheManagersLineAndRuncNeverRuns() throws Exception {
        environment.put("FAKE_create", "422 config.json is not valid JSON");
        Outcome outcome = launch("create", "--pid-file", "p", "c1");
        assertEquals(1, outcome.exitCode());
        assertEquals("jsysbox: config.json is not valid JSON\n", outcome.stderr());
        assertEquals(1, outcome.calls().size(), outcome.toString());
    }

    @Test
    void aWarningIsPrintedAndTheCreateGoesOn() throws Exception {
        environment.put("FAKE_create", "200 AppArmor is off");
        Outcome outcome = launch("create", "--pid-file", "p", "c1");
        assertEquals(0, outcome.exitCode(), outcome.toString());
        assertEquals("jsysbox: AppArmor is off\n", outcome.stderr());
    }

    @Test
    void runcsFailureReleasesAndKeepsRuncsExitCode() throws Exception {
        environment.put("FAKE_RUNC_CREATE_EXIT", "3");
        Outcome outcome = launch("create", "--pid-file", "p", "c1");
        assertEquals(3, outcome.exitCode());
        assertEquals(
                "nc -U /run/jsysbox/launcher.sock release log= log-format= id=c1",
                outcome.calls().getLast());
    }

    @Test
    void aFailedStartedDeletesWithTheGlobalFlagsAndReleases() throws Exception {
        environment.put("FAKE_started", "422 cannot mount the virtual files");
        Outcome outcome = launch("--root", "/r", "create", "--pid-file", "p", "c1");
        assertEquals(1, outcome.exitCode());
        assertEquals("jsysbox: cannot mount the virtual files\n", outcome.stderr());
        List<String> calls = outcome.calls();
        assertEquals("runc --root /r delete --force c1", calls.get(calls.size() - 2));
        assertEquals("nc -U /run/jsysbox/launcher.sock release log= log-format= id=c1", calls.getLast());
    }

    @Test
    void createFallsBackToTheJvmWhereTheLauncherCannotDoTheSame() throws Exception {
        // No --pid-file: the JVM asks runc state for the init's pid.
        assertEquals(List.of("jvm create c1"), launch("create", "c1").calls());
        // A manager that does not answer on the launcher socket: the JVM's error names it.
        Files.deleteIfExists(calls);
        environment.put("FAKE_create", "");
        assertEquals(
                "jvm create --pid-file p c1",
                launch("create", "--pid-file", "p", "c1").calls().getLast());
        // Flags the launcher does not parse, a value a line cannot carry, and no netcat at all.
        Files.deleteIfExists(calls);
        environment.remove("FAKE_create");
        assertEquals(
                List.of("jvm create --preserve-fds 2 --pid-file p c1"),
                launch("create", "--preserve-fds", "2", "--pid-file", "p", "c1").calls());
        Files.deleteIfExists(calls);
        // (The fake JVM's record of that id spans two lines.)
        assertEquals(
                List.of("jvm create --pid-file p c1", "x"),
                launch("create", "--pid-file", "p", "c1\nx").calls());
        Files.deleteIfExists(calls);
        environment.put("PATH", Files.createDirectories(work.resolve("empty")).toString());
        assertEquals(
                List.of("jvm create --pid-file p c1"),
                launch("create", "--pid-file", "p", "c1").calls());
    }

    @Test
    void theLauncherAsksTheManagerWhereItListens() throws IOException {
        assertTrue(
                Files.readString(DISPATCH).contains("nc.openbsd -U " + UnixChannels.LAUNCHER_SOCKET + " "),
                "the launcher's socket is not UnixChannels.LAUNCHER_SOCKET");
    }

    /** The launcher sends an exec whose process.json names an engine's default profile to the JVM: this list. */
    @Test
    void theLaunchersListOfEngineDefaultsIsAppArmorConfinements() throws IOException {
        Matcher names = Pattern.compile("/\"\\((.*?)\\)\"/").matcher(Files.readString(DISPATCH));
        assertTrue(names.find(), "no engine default profile list in the launcher");
        Set<String> listed = new HashSet<>();
        for (String name : names.group(1).split("\\|")) {
            listed.add(name.replace("[.]", "."));
        }
        assertEquals(AppArmorConfinement.ENGINE_DEFAULTS, listed);
    }
}
