package io.jsysbox.runc;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The flags create and run share (runc's names), and the container id. */
final class ContainerOptions {
    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR", description = "the bundle directory (default: the current directory)")
    Path bundle = Path.of("");

    @Option(names = "--console-socket", paramLabel = "PATH", description = "unix socket that receives the pty master of a terminal container")
    String consoleSocket;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "file to write the container's init pid to")
    String pidFile;

    @Option(names = "--no-pivot", description = "do not use pivot_root to jail the process inside rootfs")
    boolean noPivot;

    @Option(names = "--no-new-keyring", description = "do not create a new session keyring for the container")
    boolean noNewKeyring;

    @Option(names = "--preserve-fds", paramLabel = "N", description = "not supported: jsysbox-runc runs runc as a child, which only inherits stdio")
    int preserveFds;

    @Parameters(index = "0", paramLabel = "ID", description = "the container id")
    String id;

    Path absoluteBundle() {
        return bundle.toAbsolutePath().normalize();
    }

    Path configFile() {
        return absoluteBundle().resolve("config.json");
    }

    void rejectUnsupported() throws JsysboxException {
        if (preserveFds > 0) {
            throw new JsysboxException("--preserve-fds is not supported: jsysbox-runc starts runc as a child process, "
                    + "which inherits only stdin, stdout and stderr; pass what the container needs as files or sockets");
        }
    }

    /** The flags as runc takes them (bundle made absolute), ending with the id. */
    List<String> runcArguments(List<String> verbFlags) {
        List<String> arguments = new ArrayList<>(List.of("--bundle", absoluteBundle().toString()));
        if (consoleSocket != null) arguments.addAll(List.of("--console-socket", consoleSocket));
        if (pidFile != null) arguments.addAll(List.of("--pid-file", pidFile));
        if (noPivot) arguments.add("--no-pivot");
        if (noNewKeyring) arguments.add("--no-new-keyring");
        arguments.addAll(verbFlags);
        arguments.add(id);
        return arguments;
    }
}
