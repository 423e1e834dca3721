package io.jsysbox.runc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code exec}: a root process joining a system container gets the capabilities its init has (Docker's exec
 * process.json lists only Docker's default set); then runc's exec, with the arguments as given.
 */
@Command(name = "exec", description = "Run a process in a container (see 'runc exec --help').")
final class ExecCommand {
    @Option(names = "--console-socket", paramLabel = "PATH") String consoleSocket;
    @Option(names = "--cwd", paramLabel = "DIR") String cwd;
    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE") List<String> env = new ArrayList<>();
    @Option(names = {"-t", "--tty"}) boolean tty;
    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]") String user;
    @Option(names = {"-g", "--additional-gids"}, paramLabel = "GID") List<String> additionalGids = new ArrayList<>();
    @Option(names = {"-p", "--process"}, paramLabel = "FILE", description = "the process.json; a root process in a jsysbox container gets all of the host's capabilities")
    Path process;
    @Option(names = {"-d", "--detach"}) boolean detach;
    @Option(names = "--pid-file", paramLabel = "FILE") String pidFile;
    @Option(names = "--process-label", paramLabel = "LABEL") String processLabel;
    @Option(names = "--apparmor", paramLabel = "PROFILE") String apparmor;
    @Option(names = "--no-new-privs") boolean noNewPrivs;
    @Option(names = {"-c", "--cap"}, paramLabel = "CAP") List<String> capabilities = new ArrayList<>();
    @Option(names = "--preserve-fds", paramLabel = "N", description = "not supported: runc runs as a child, which only inherits stdio") int preserveFds;
    @Option(names = "--cgroup", paramLabel = "[CONTROLLER:]CGROUP") List<String> cgroups = new ArrayList<>();
    @Option(names = "--ignore-paused") boolean ignorePaused;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help") boolean help;

    @Parameters(index = "0", paramLabel = "ID", description = "the container id")
    String id;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "the command and its arguments (without --process)")
    List<String> command = new ArrayList<>();

    static int main(Runc runc, List<String> arguments) throws JsysboxException {
        ExecCommand exec = new ExecCommand();
        if (VerbOptions.parse(exec, arguments)) return 0;
        if (exec.preserveFds > 0) {
            throw new JsysboxException("--preserve-fds is not supported: jsysbox-runc starts runc as a child process, "
                    + "which inherits only stdin, stdout and stderr");
        }
        if (exec.process != null && RuncState.of(runc, exec.id).isSystemContainer()) exec.grantCapabilities();
        return runc.run("exec", arguments);
    }

    /** Only in a jsysbox container: its user namespace is what confines the capabilities. */
    private void grantCapabilities() throws JsysboxException {
        ObjectNode spec = ConfigFile.read(process);
        SpecTransformer.grantCapabilities(spec, Capabilities.hostBoundingSet());
        ConfigFile.write(process, spec);
    }
}
