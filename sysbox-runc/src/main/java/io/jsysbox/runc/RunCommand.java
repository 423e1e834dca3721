package io.jsysbox.runc;

import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.JsysboxException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code run}: {@code runc run} with the rewritten spec plus a createRuntime hook, {@code jsysbox-runc started-hook},
 * that has the manager delegate the cgroups. runc runs createRuntime hooks after it made the container's cgroups
 * and mounts and before the container's process starts, which is exactly when delegation must happen.
 * Why a hook rather than create-then-start: {@code runc run} then keeps what only the container's parent can do
 * in the foreground (a terminal without a console socket, signal forwarding, the container's exit code, deleting
 * it on exit); this JVM is not the container init's parent after a {@code runc create}.
 */
final class RunCommand implements VerbOptions {
    private static final CommandSyntax SYNTAX = ContainerOptions.declare(new CommandSyntax(
                    "jsysbox-runc run", "Create and start a system container from a bundle (see 'runc run --help')."))
            .flag("-d, --detach", "detach from the container's process")
            .flag("--keep", "do not delete the container after it exits")
            .flag("--no-subreaper", "do not reap reparented processes");

    final ContainerOptions container = new ContainerOptions();
    boolean detach;
    boolean keep;
    boolean noSubreaper;

    @Override
    public CommandSyntax syntax() {
        return SYNTAX;
    }

    @Override
    public void set(CommandSyntax.Parsed parsed) throws JsysboxException {
        container.set(parsed);
        detach = parsed.has("--detach");
        keep = parsed.has("--keep");
        noSubreaper = parsed.has("--no-subreaper");
    }

    static int main(Runc runc, ErrorLog log, List<String> arguments) throws JsysboxException {
        RunCommand command = new RunCommand();
        if (VerbOptions.parse(command, arguments)) {
            return 0;
        }
        command.container.rejectUnsupported();
        return command.run(runc, log);
    }

    private int run(Runc runc, ErrorLog log) throws JsysboxException {
        try (SystemContainer prepared = SystemContainer.create(
                container.id, container.absoluteBundle(), StartedHook.command(), StartedHook.environment(), log)) {
            int code;
            try {
                code = runc.run("run", container.runcArguments(runFlags()));
            } catch (JsysboxException | RuntimeException e) {
                prepared.release();
                throw e;
            }
            // A detached container runs on until 'delete'; otherwise it has exited (or failed) and needs nothing more.
            if (code != 0 || !detach) {
                prepared.release();
            }
            return code;
        }
    }

    private List<String> runFlags() {
        List<String> flags = new ArrayList<>();
        if (detach) {
            flags.add("--detach");
        }
        if (keep) {
            flags.add("--keep");
        }
        if (noSubreaper) {
            flags.add("--no-subreaper");
        }
        return flags;
    }
}
