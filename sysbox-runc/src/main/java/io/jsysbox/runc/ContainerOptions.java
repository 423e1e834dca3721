package io.jsysbox.runc;

import io.jsysbox.spec.JsysboxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The flags create and run share (runc's names), and the container id. */
final class ContainerOptions {
    Path bundle = Path.of("");
    String consoleSocket;
    String pidFile;
    boolean noPivot;
    boolean noNewKeyring;
    int preserveFds;
    String id;

    /** Adds these flags and the id operand to a verb's syntax. */
    static CommandSyntax declare(CommandSyntax syntax) {
        return syntax.value("-b, --bundle", "DIR", "the bundle directory (default: the current directory)")
                .value("--console-socket", "PATH", "unix socket that receives the pty master of a terminal container")
                .value("--pid-file", "FILE", "file to write the container's init pid to")
                .flag("--no-pivot", "do not use pivot_root to jail the process inside rootfs")
                .flag("--no-new-keyring", "do not create a new session keyring for the container")
                .value(
                        "--preserve-fds",
                        "N",
                        "not supported: jsysbox-runc runs runc as a child, which only inherits stdio")
                .operand("ID");
    }

    void set(CommandSyntax.Parsed parsed) throws JsysboxException {
        if (parsed.value("--bundle") != null) {
            bundle = Path.of(parsed.value("--bundle"));
        }
        consoleSocket = parsed.value("--console-socket");
        pidFile = parsed.value("--pid-file");
        noPivot = parsed.has("--no-pivot");
        noNewKeyring = parsed.has("--no-new-keyring");
        preserveFds = parsed.integer("--preserve-fds", 0);
        id = parsed.operands().getFirst();
    }

    Path absoluteBundle() {
        return bundle.toAbsolutePath().normalize();
    }

    Path configFile() {
        return absoluteBundle().resolve("config.json");
    }

    void rejectUnsupported() throws JsysboxException {
        if (preserveFds > 0) {
            throw new JsysboxException("--preserve-fds is not supported: jsysbox-runc starts runc as a child process, "
                    + "which inherits only stdin, stdout and stderr; pass what the container needs as files or "
                    + "sockets");
        }
    }

    /** The flags as runc takes them (bundle made absolute), ending with the id. */
    List<String> runcArguments(List<String> verbFlags) {
        List<String> arguments =
                new ArrayList<>(List.of("--bundle", absoluteBundle().toString()));
        if (consoleSocket != null) {
            arguments.addAll(List.of("--console-socket", consoleSocket));
        }
        if (pidFile != null) {
            arguments.addAll(List.of("--pid-file", pidFile));
        }
        if (noPivot) {
            arguments.add("--no-pivot");
        }
        if (noNewKeyring) {
            arguments.add("--no-new-keyring");
        }
        arguments.addAll(verbFlags);
        arguments.add(id);
        return arguments;
    }
}
