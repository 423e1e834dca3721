package io.jsysbox.runc;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code delete}: runc's, then the manager releases the container (even if runc no longer knew it). */
@Command(name = "delete", description = "Delete a container and release its jsysbox resources (see 'runc delete --help').")
final class DeleteCommand {
    @Option(names = {"-f", "--force"}, description = "delete the container even if it still runs (SIGKILL)")
    boolean force;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID", description = "the container id")
    String id;

    static int main(Runc runc, ErrorLog log, List<String> arguments) throws JsysboxException {
        DeleteCommand command = new DeleteCommand();
        if (VerbOptions.parse(command, arguments)) return 0;
        int code = runc.run("delete", arguments);
        // runc's answer stands; a manager that cannot be reached only earns a warning (it releases on its restart).
        try (ManagerClient manager = ManagerClient.connect()) {
            manager.release(command.id);
        } catch (JsysboxException e) {
            log.warning(e.getMessage());
        }
        return code;
    }
}
