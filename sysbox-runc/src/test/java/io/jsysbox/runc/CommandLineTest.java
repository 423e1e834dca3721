package io.jsysbox.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.spec.JsysboxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing as containerd-shim and Docker call runc. */
class CommandLineTest {
    private static GlobalOptions globals(String... args) throws JsysboxException {
        GlobalOptions globals = new GlobalOptions();
        Main.parse(globals, args);
        return globals;
    }

    @Test
    void shimCreateCall() throws Exception {
        GlobalOptions globals = globals(
                "--root",
                "/var/run/docker/runtime-jsysbox/moby",
                "--log",
                "/run/x/log.json",
                "--log-format",
                "json",
                "--systemd-cgroup",
                "create",
                "--bundle",
                "/run/x",
                "--pid-file",
                "/run/x/init.pid",
                "abc");
        assertEquals(
                List.of(
                        "--root",
                        "/var/run/docker/runtime-jsysbox/moby",
                        "--log",
                        "/run/x/log.json",
                        "--log-format",
                        "json",
                        "--systemd-cgroup"),
                globals.runcArguments());
        assertTrue(globals.jsonLog());
        assertEquals(
                List.of("create", "--bundle", "/run/x", "--pid-file", "/run/x/init.pid", "abc"),
                globals.verbAndArguments);
    }

    @Test
    void everyGlobalFlagPassesOnInBothForms() throws Exception {
        GlobalOptions globals = globals(
                "--root=/r",
                "--log=/l",
                "--log-format=text",
                "--debug",
                "--criu",
                "/usr/sbin/criu",
                "--rootless=auto",
                "state",
                "x");
        assertEquals(
                List.of(
                        "--root",
                        "/r",
                        "--log",
                        "/l",
                        "--log-format",
                        "text",
                        "--debug",
                        "--criu",
                        "/usr/sbin/criu",
                        "--rootless",
                        "auto"),
                globals.runcArguments());
        assertFalse(globals.jsonLog());
    }

    @Test
    void verbArgumentsStayVerbatim() throws Exception {
        List<String> verb = List.of("exec", "--tty", "-e", "A=1", "id", "--", "sh", "-c", "--root x", "@file");
        List<String> all = new ArrayList<>(List.of("--root", "/r"));
        all.addAll(verb);
        assertEquals(verb, globals(all.toArray(String[]::new)).verbAndArguments);
    }

    @Test
    void unknownGlobalFlagIsOneLineError() {
        String message = assertThrows(JsysboxException.class, () -> globals("--bogus", "state", "x"))
                .getMessage();
        assertEquals("Unknown option: '--bogus' (see 'jsysbox-runc --help')", message);
    }

    @Test
    void noVerbIsNoError() throws Exception {
        assertTrue(globals().verbAndArguments.isEmpty());
        assertTrue(globals("--version").version);
    }

    @Test
    void createOptionsInRuncsForms() throws Exception {
        CreateCommand create = new CreateCommand();
        assertFalse(VerbOptions.parse(
                create,
                List.of(
                        "-b",
                        "/b",
                        "--console-socket=/s",
                        "--pid-file",
                        "p",
                        "--no-pivot",
                        "--no-new-keyring",
                        "abc")));
        ContainerOptions options = create.container;
        assertEquals(Path.of("/b"), options.bundle);
        assertEquals(
                List.of(
                        "--bundle",
                        "/b",
                        "--console-socket",
                        "/s",
                        "--pid-file",
                        "p",
                        "--no-pivot",
                        "--no-new-keyring",
                        "abc"),
                options.runcArguments(List.of()));
    }

    @Test
    void createBundleDefaultsToTheWorkingDirectory() throws Exception {
        CreateCommand create = new CreateCommand();
        VerbOptions.parse(create, List.of("abc"));
        assertEquals(Path.of("").toAbsolutePath(), create.container.absoluteBundle());
        assertEquals(Path.of("").toAbsolutePath().resolve("config.json"), create.container.configFile());
    }

    @Test
    void createRejectsUnknownFlagsAndPreserveFds() throws Exception {
        String message = assertThrows(
                        JsysboxException.class, () -> VerbOptions.parse(new CreateCommand(), List.of("--bogus", "abc")))
                .getMessage();
        assertEquals("Unknown option: '--bogus' (see 'jsysbox-runc create --help')", message);
        assertThrows(JsysboxException.class, () -> VerbOptions.parse(new CreateCommand(), List.of()));
        CreateCommand create = new CreateCommand();
        VerbOptions.parse(create, List.of("--preserve-fds", "2", "abc"));
        assertTrue(assertThrows(JsysboxException.class, create.container::rejectUnsupported)
                .getMessage()
                .startsWith("--preserve-fds"));
    }

    @Test
    void runFlagsGoBeforeTheId() throws Exception {
        RunCommand run = new RunCommand();
        VerbOptions.parse(run, List.of("-d", "--keep", "-b", "/b", "abc"));
        assertTrue(run.detach);
        assertTrue(run.keep);
        assertEquals("abc", run.container.id);
    }

    @Test
    void execFindsTheProcessFileAndLeavesTheCommandAlone() throws Exception {
        ExecCommand exec = new ExecCommand();
        VerbOptions.parse(exec, List.of("--process", "/tmp/p.json", "--detach", "--pid-file", "/tmp/pid", "abc"));
        assertEquals(Path.of("/tmp/p.json"), exec.process);
        assertEquals("abc", exec.id);
        ExecCommand withCommand = new ExecCommand();
        VerbOptions.parse(withCommand, List.of("-t", "-e", "A=1", "-u", "0:0", "abc", "sh", "-p", "--cwd", "/"));
        assertNull(withCommand.process);
        assertEquals(List.of("sh", "-p", "--cwd", "/"), withCommand.command);
    }

    @Test
    void flagsInGoFlagForms() throws Exception {
        GlobalOptions globals = globals("--debug=true", "--systemd-cgroup=false", "-root", "/r", "state", "x");
        assertEquals(List.of("--root", "/r", "--debug"), globals.runcArguments());
        assertEquals(List.of("state", "x"), globals.verbAndArguments);
        RunCommand run = new RunCommand();
        VerbOptions.parse(run, List.of("-d", "--keep=FALSE", "-b=/b", "--", "-abc"));
        assertTrue(run.detach);
        assertFalse(run.keep);
        assertEquals(List.of("--bundle", "/b", "-abc"), run.container.runcArguments(List.of()));
    }

    @Test
    void badFlagsAreOneLineErrors() {
        Map<List<String>, String> problems = Map.of(
                List.of("--no-piv", "abc"), "Unknown option: '--no-piv'",
                List.of("--no-pivot=yes", "abc"), "Invalid value for option '--no-pivot': 'yes' is not a boolean",
                List.of("--bundle=/b", "-b", "/c", "abc"), "option '--bundle' should be specified only once",
                List.of("--no-pivot", "--no-pivot", "abc"), "option '--no-pivot' should be specified only once",
                List.of("--pid-file"), "Missing value for option '--pid-file' (FILE)",
                List.of("--preserve-fds", "x", "abc"), "Invalid value for option '--preserve-fds': 'x' is not an int",
                List.of("abc", "--no-pivot"), "Unmatched argument: '--no-pivot'",
                List.of("--pid-file", "/p"), "Missing required parameter: 'ID'");
        problems.forEach((arguments, problem) -> assertEquals(
                problem + " (see 'jsysbox-runc create --help')",
                assertThrows(JsysboxException.class, () -> VerbOptions.parse(new CreateCommand(), arguments))
                        .getMessage(),
                String.join(" ", arguments)));
        assertEquals(
                "Unknown option: '-dx' (see 'jsysbox-runc run --help')",
                assertThrows(JsysboxException.class, () -> VerbOptions.parse(new RunCommand(), List.of("-dx", "abc")))
                        .getMessage());
    }

    @Test
    void helpWinsOverEverythingElse() throws Exception {
        assertTrue(VerbOptions.parse(new CreateCommand(), List.of("--help")));
        assertTrue(VerbOptions.parse(new ExecCommand(), List.of("-t", "-h", "--bogus")));
        assertTrue(globals("-h", "create").help);
    }
}
