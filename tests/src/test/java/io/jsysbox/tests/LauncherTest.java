package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * jsysbox-runc's create, as containerd-shim runs it: through the shell launcher, which has the manager do the work
 * around runc (OpenBSD netcat to its launcher endpoint), and through the Java CLI, which the launcher falls back to (no
 * netcat, no
 * --pid-file). Both must make the same system container, report errors the same way and leave nothing behind.
 */
@EndToEnd
class LauncherTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final Docker docker = new Docker();

    @TempDir
    static Path work;

    private static Path rootfs;
    private static ObjectNode spec;

    /** How create reaches the manager. */
    enum Way {
        /** The launcher and netcat: containerd's usual call, with --pid-file. */
        LAUNCHER,
        /** The Java CLI, because no --pid-file was given. */
        JVM,
        /** The Java CLI, because nc.openbsd is not on the PATH. */
        JVM_WITHOUT_NETCAT
    }

    @BeforeAll
    static void makeRootfs() throws IOException {
        rootfs = Files.createDirectories(work.resolve("rootfs"));
        docker.exportImage(Docker.BUSYBOX_IMAGE, rootfs);
        Path specDir = Files.createDirectories(work.resolve("spec"));
        Command.run(Docker.COMMAND_TIMEOUT, "runc", "spec", "--bundle", specDir.toString())
                .assertOk();
        spec = (ObjectNode) JSON.readTree(specDir.resolve("config.json").toFile());
        ObjectNode process = spec.withObjectProperty("process");
        process.put("terminal", false);
        process.putArray("args").add("sleep").add("60");
    }

    /**
     * A bundle of its own, rootfs included: the manager remembers a stopped container's range for as long as its
     * rootfs exists (as Docker keeps a stopped container's), so each test removes its bundle when done.
     */
    private static Path bundle(String name, ObjectNode config) throws IOException {
        Path bundle = Files.createDirectories(work.resolve(name));
        Command.run(
                        Docker.COMMAND_TIMEOUT,
                        "cp",
                        "-a",
                        rootfs.toString(),
                        bundle.resolve("rootfs").toString())
                .assertOk();
        ObjectNode own = config.deepCopy();
        own.withObjectProperty("root").put("path", bundle.resolve("rootfs").toString());
        JSON.writeValue(bundle.resolve("config.json").toFile(), own);
        return bundle;
    }

    /** runc itself (not jsysbox-runc) on the test's state root. */
    private static Command.Result runc(Path runcRoot, String... arguments) {
        List<String> command = new ArrayList<>(List.of("runc", "--root", runcRoot.toString()));
        command.addAll(List.of(arguments));
        return Command.run(Docker.COMMAND_TIMEOUT, command);
    }

    private static void remove(Path bundle) {
        Command.run(Docker.COMMAND_TIMEOUT, "rm", "-rf", bundle.toString()).assertOk();
    }

    private static Command.Result create(Way way, Path runcRoot, Path bundle, String id, String... logFlags) {
        List<String> command = environment(way);
        command.addAll(List.of("jsysbox-runc", "--root", runcRoot.toString()));
        command.addAll(List.of(logFlags));
        command.addAll(List.of("create", "--bundle", bundle.toString()));
        if (way != Way.JVM) {
            command.addAll(List.of("--pid-file", bundle.resolve("pid").toString()));
        }
        command.add(id);
        return Command.run(Docker.COMMAND_TIMEOUT, command);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Way.class)
    void createMakesTheSameSystemContainerEitherWay(Way way) throws IOException {
        String id = "jsysbox-test-" + Docker.RUN + "-launcher-" + way.name().toLowerCase();
        Path runcRoot = work.resolve("runc-root");
        Path bundle = bundle(id, spec);
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        try {
            create(way, runcRoot, bundle, id).assertOk();
            JsonNode rewritten = JSON.readTree(bundle.resolve("config.json").toFile());
            assertEquals(
                    "true",
                    rewritten.path("annotations").path("io.jsysbox.transformed").asText(),
                    "not rewritten: " + rewritten);
            runc(runcRoot, "start", id).assertOk();
            // Root inside is an unprivileged host uid (a range of its own), and /proc/uptime is jsysbox-fs's.
            String uidMap = runc(runcRoot, "exec", id, "cat", "/proc/self/uid_map")
                    .assertOk()
                    .stdout()
                    .strip();
            List<String> fields = List.of(uidMap.split("\\s+"));
            assertEquals("0", fields.get(0), uidMap);
            assertNotEquals("0", fields.get(1), "container root is host root: " + uidMap);
            String mounts = runc(runcRoot, "exec", id, "cat", "/proc/self/mountinfo")
                    .assertOk()
                    .stdout();
            assertTrue(
                    mounts.lines().anyMatch(line -> line.contains(" /proc/uptime ") && line.contains("fuse")),
                    "no virtual /proc/uptime: " + mounts);
        } finally {
            runc(runcRoot, "delete", "--force", id);
            remove(bundle);
        }
        Leftovers.of(id).withRuncRoot(runcRoot).withMountsBefore(mountsBefore).awaitNone();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Way.class)
    void refusedSpecIsOneLineOnStderrAndOneEntryInRuncsJsonLog(Way way) throws IOException {
        String id = "jsysbox-test-" + Docker.RUN + "-refused-" + way.name().toLowerCase();
        ObjectNode privileged = spec.deepCopy();
        // Without a user namespace of its own and sharing the host's pid namespace: a system container may not.
        privileged
                .withObjectProperty("linux")
                .putArray("namespaces")
                .addObject()
                .put("type", "mount");
        Path bundle = bundle(id, privileged);
        Path log = bundle.resolve("runtime.log");
        Path runcRoot = work.resolve("runc-root");
        Set<String> mountsBefore = Leftovers.jsysboxMounts();

        Command.Result create = create(way, runcRoot, bundle, id, "--log", log.toString(), "--log-format", "json");

        assertNotEquals(0, create.exitCode(), "create succeeded: " + create);
        List<String> lines =
                create.stderr().lines().filter(line -> !line.isBlank()).toList();
        assertEquals(1, lines.size(), "stderr should be one line: " + create);
        assertTrue(lines.getFirst().startsWith("jsysbox: "), "stderr should start with 'jsysbox: ': " + create);
        List<JsonNode> entries = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            entries.add(JSON.readTree(line));
        }
        assertEquals(1, entries.size(), "one log entry: " + entries);
        assertEquals("error", entries.getFirst().path("level").asText(), entries.toString());
        assertEquals(lines.getFirst(), entries.getFirst().path("msg").asText(), "stderr and the log say the same");
        JsonNode unchanged = JSON.readTree(bundle.resolve("config.json").toFile());
        assertEquals(privileged.path("linux"), unchanged.path("linux"), "config.json changed");
        assertTrue(
                unchanged.path("annotations").path("io.jsysbox.transformed").isMissingNode(), "config.json rewritten");
        remove(bundle);
        Leftovers.of(id).withRuncRoot(runcRoot).withMountsBefore(mountsBefore).awaitNone();
    }

    @Test
    void runcsOwnFailureIsRuncsMessageAndTheManagerReleasesTheContainer() throws IOException {
        String id = "jsysbox-test-" + Docker.RUN + "-runc-fails";
        ObjectNode broken = spec.deepCopy();
        broken.withObjectProperty("process").put("cwd", "relative/dir");
        Path bundle = bundle(id, broken);
        Path runcRoot = work.resolve("runc-root");
        Set<String> mountsBefore = Leftovers.jsysboxMounts();

        Command.Result create = create(Way.LAUNCHER, runcRoot, bundle, id);

        assertNotEquals(0, create.exitCode(), "create succeeded: " + create);
        assertTrue(
                create.stderr().toLowerCase().contains("cwd must be an absolute path"),
                "runc's own message should reach stderr: " + create);
        remove(bundle);
        Leftovers.of(id).withRuncRoot(runcRoot).withMountsBefore(mountsBefore).awaitNone();
    }

    /**
     * jsysbox-runc's environment for {@code way}. No JVM may start on the launcher's way: one would die on its
     * JAVA_TOOL_OPTIONS, failing the call.
     */
    private static List<String> environment(Way way) {
        List<String> command = new ArrayList<>(List.of("env"));
        if (way == Way.LAUNCHER) {
            command.add("JAVA_TOOL_OPTIONS=-XX:+NoSuchOptionProvesNoJvmRan");
        }
        if (way == Way.JVM_WITHOUT_NETCAT) {
            command.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin");
        }
        return command;
    }

    /**
     * docker exec's process.json (Docker's default capabilities, its default AppArmor profile): a root process joining
     * a system container gets the container's capabilities instead, through the manager (no JVM) or the Java CLI.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = Way.class,
            names = {"LAUNCHER", "JVM_WITHOUT_NETCAT"})
    void execOfDockersProcessJoinsTheSystemContainerEitherWay(Way way) throws IOException {
        String id = "jsysbox-test-" + Docker.RUN + "-exec-" + way.name().toLowerCase();
        Path runcRoot = work.resolve("runc-root");
        Path bundle = bundle(id, spec);
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        try {
            create(Way.LAUNCHER, runcRoot, bundle, id).assertOk();
            runc(runcRoot, "start", id).assertOk();
            Path process = bundle.resolve("exec-process.json");
            Files.writeString(process, """
                    {"terminal":false,"user":{"uid":0,"gid":0},"cwd":"/","env":["PATH=/bin:/usr/bin"],
                     "args":["sh","-c","grep CapEff /proc/self/status"],"apparmorProfile":"docker-default",
                     "capabilities":{"bounding":["CAP_CHOWN"],"effective":["CAP_CHOWN"],"permitted":["CAP_CHOWN"]}}
                    """);
            List<String> exec = environment(way);
            exec.addAll(List.of("jsysbox-runc", "--root", runcRoot.toString(), "exec", "-p", process.toString(), id));
            String joined = Command.run(Docker.COMMAND_TIMEOUT, exec)
                    .assertOk()
                    .stdout()
                    .strip();
            String init = runc(runcRoot, "exec", id, "grep", "CapEff", "/proc/1/status")
                    .assertOk()
                    .stdout()
                    .strip();
            assertEquals(init, joined, "the exec'd root has the init's capabilities, not Docker's default set");
            assertTrue(Files.readString(process).contains("CAP_SYS_ADMIN"), "process.json rewritten");
        } finally {
            runc(runcRoot, "delete", "--force", id);
            remove(bundle);
        }
        Leftovers.of(id).withRuncRoot(runcRoot).withMountsBefore(mountsBefore).awaitNone();
    }
}
