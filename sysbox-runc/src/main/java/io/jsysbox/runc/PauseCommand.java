package io.jsysbox.runc;

import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.JsysboxException;
import java.util.List;

/**
 * {@code pause}: runc's pause, then, for a jsysbox container, the manager copies its special-mount content (the
 * inner engine's images) into the rootfs while it is frozen. Docker pauses a container to commit it: this is what
 * puts the inner images into the committed image. A failed copy is reported and leaves the container paused: the
 * pause itself succeeded, and the commit then just lacks the inner images.
 */
final class PauseCommand implements VerbOptions {
    private static final CommandSyntax SYNTAX = new CommandSyntax(
                    "jsysbox-runc pause",
                    "Suspend all processes of a container; a jsysbox container's inner images are then copied into its "
                            + "rootfs (see 'runc pause --help').")
            .operand("ID");

    String id;

    @Override
    public CommandSyntax syntax() {
        return SYNTAX;
    }

    @Override
    public void set(CommandSyntax.Parsed parsed) {
        id = parsed.operands().getFirst();
    }

    static int main(Runc runc, ErrorLog errors, List<String> arguments) throws JsysboxException {
        PauseCommand pause = new PauseCommand();
        if (VerbOptions.parse(pause, arguments)) {
            return 0;
        }
        int status = runc.run("pause", arguments);
        if (status != 0 || !RuncState.of(runc, pause.id).isSystemContainer()) {
            return status;
        }
        try (ManagerClient manager = ManagerClient.connect()) {
            manager.sync(pause.id);
        } catch (JsysboxException e) {
            errors.error("container " + pause.id + " is paused, but its inner images were not copied into its rootfs: "
                    + e.getMessage());
        }
        return 0;
    }
}
