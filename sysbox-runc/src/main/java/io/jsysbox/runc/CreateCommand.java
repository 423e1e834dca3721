package io.jsysbox.runc;

import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.JsysboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code create}: the manager prepares and rewrites the bundle, {@code runc create}, then the manager sets it up. */
final class CreateCommand implements VerbOptions {
    private static final CommandSyntax SYNTAX = ContainerOptions.declare(new CommandSyntax(
            "jsysbox-runc create", "Create a system container from a bundle (see 'runc create --help')."));

    final ContainerOptions container = new ContainerOptions();

    @Override
    public CommandSyntax syntax() {
        return SYNTAX;
    }

    @Override
    public void set(CommandSyntax.Parsed parsed) throws JsysboxException {
        container.set(parsed);
    }

    static int main(Runc runc, ErrorLog log, List<String> arguments) throws JsysboxException {
        CreateCommand command = new CreateCommand();
        if (VerbOptions.parse(command, arguments)) {
            return 0;
        }
        command.container.rejectUnsupported();
        return command.create(runc, log);
    }

    private int create(Runc runc, ErrorLog log) throws JsysboxException {
        String id = container.id;
        try (SystemContainer prepared =
                SystemContainer.create(id, container.absoluteBundle(), List.of(), List.of(), log)) {
            boolean created = false;
            try {
                int code = runc.run("create", container.runcArguments(List.of()));
                if (code != 0) {
                    // runc has reported why, on stderr and in the log: its message is the one Docker should show.
                    prepared.release();
                    return code;
                }
                created = true;
                prepared.started(initPid(runc));
                return 0;
            } catch (JsysboxException | RuntimeException e) {
                if (created) {
                    runc.run("delete", List.of("--force", id));
                }
                prepared.release();
                throw e;
            }
        }
    }

    private long initPid(Runc runc) throws JsysboxException {
        if (container.pidFile == null) {
            return RuncState.of(runc, container.id).pid();
        }
        Path pidFile = Path.of(container.pidFile);
        try {
            return Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            throw new JsysboxException("cannot read the init pid runc wrote to " + pidFile + ": " + e.getMessage(), e);
        }
    }
}
