package io.jsysbox.runc;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsysbox.spec.ConfigFile;
import io.jsysbox.spec.JsysboxException;
import io.jsysbox.spec.SpecOriginal;
import io.jsysbox.spec.SystemContainerSpec;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code started-hook} (internal): the createRuntime hook {@code run} adds. runc pipes the container's state to
 * hooks on stdin; the manager gets its id and init pid, as after {@code create}, and where its root is: runc runs
 * this hook before it pivots into the rootfs, so the container's mount namespace still has it at root.path.
 */
final class StartedHook {
    static final String VERB = SpecOriginal.STARTED_HOOK_VERB;

    private StartedHook() {}

    static int main(List<String> arguments) throws JsysboxException {
        String state;
        try {
            state = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JsysboxException(
                    "cannot read the container state runc passes to hooks on stdin: " + e.getMessage(), e);
        }
        JsonNode container =
                ConfigFile.parse(state, "the container state on stdin (" + VERB + " is runc's hook, not a command)");
        Path bundle = Path.of(container.path("bundle").asText());
        Path rootPath = SystemContainerSpec.rootfsOf(bundle);
        try (ManagerClient manager = ManagerClient.connect()) {
            manager.started(container.path("id").asText(), container.path("pid").asLong(), rootPath.toString(), bundle);
        }
        return 0;
    }

    /** This JVM's own command line up to the main class, then the hook verb: how runc calls us back. */
    static List<String> command() throws JsysboxException {
        ProcessHandle.Info self = ProcessHandle.current().info();
        String java = self.command().orElse(null);
        String[] arguments = self.arguments().orElse(new String[0]);
        List<String> command = new ArrayList<>(List.of(java == null ? "" : java));
        boolean classPath = false;
        for (String argument : arguments) {
            // runc runs hooks in another working directory: a relative class path would not find us.
            command.add(classPath ? absoluteClassPath(argument) : argument);
            classPath = List.of("-cp", "-classpath", "--class-path").contains(argument);
            if (argument.equals(Main.class.getName())) {
                command.add(VERB);
                return command;
            }
        }
        throw new JsysboxException("cannot tell this process's command line (to run it as runc's hook): start "
                + "jsysbox-runc as 'java ... " + Main.class.getName() + " ...'");
    }

    private static String absoluteClassPath(String classPath) {
        List<String> entries = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    /** Hooks run with only the environment the spec gives them: pass the manager socket override on. */
    static List<String> environment() {
        String socket = System.getenv("JSYSBOX_MGR_SOCKET");
        return socket == null ? List.of() : List.of("JSYSBOX_MGR_SOCKET=" + socket);
    }
}
