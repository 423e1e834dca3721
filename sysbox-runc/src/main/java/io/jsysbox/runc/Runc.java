package io.jsysbox.runc;

import io.jsysbox.spec.JsysboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The real runc, run as a child with our stdio and the caller's global flags. */
final class Runc {
    static final String DEFAULT_BINARY = "/usr/sbin/runc";

    private final String binary;
    private final List<String> globalArguments;

    Runc(String binary, List<String> globalArguments) {
        this.binary = binary;
        this.globalArguments = List.copyOf(globalArguments);
    }

    /** runc from JSYSBOX_RUNC, else the Debian package's. */
    static Runc fromEnvironment(List<String> globalArguments) {
        String binary = System.getenv("JSYSBOX_RUNC");
        return new Runc(binary == null || binary.isEmpty() ? DEFAULT_BINARY : binary, globalArguments);
    }

    /**
     * Runs {@code runc GLOBALS VERB ARGS} with inherited stdio (the container's stdio for create/run) and returns its
     * exit code.
     */
    int run(String verb, List<String> arguments) throws JsysboxException {
        Process process = start(command(verb, arguments), ProcessBuilder.Redirect.INHERIT);
        return waitFor(process);
    }

    /** Runs runc and returns what it printed; its errors go to our stderr. A failure is an exception. */
    String output(String verb, List<String> arguments) throws JsysboxException {
        List<String> command = command(verb, arguments);
        Process process = start(command, ProcessBuilder.Redirect.PIPE);
        String output;
        try (var stdout = process.getInputStream()) {
            output = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JsysboxException(
                    "cannot read the output of '" + String.join(" ", command) + "': " + e.getMessage(), e);
        }
        int code = waitFor(process);
        if (code != 0) {
            throw new JsysboxException("'" + String.join(" ", command) + "' failed (exit code " + code + ")");
        }
        return output;
    }

    private List<String> command(String verb, List<String> arguments) {
        List<String> command = new ArrayList<>(globalArguments.size() + arguments.size() + 2);
        command.add(binary);
        command.addAll(globalArguments);
        command.add(verb);
        command.addAll(arguments);
        return command;
    }

    private Process start(List<String> command, ProcessBuilder.Redirect stdout) throws JsysboxException {
        try {
            return new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(stdout)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            throw new JsysboxException(
                    "cannot run runc (" + binary + "): " + e.getMessage()
                            + ": install the runc package or point JSYSBOX_RUNC at a runc binary",
                    e);
        }
    }

    private static int waitFor(Process process) throws JsysboxException {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
            throw new JsysboxException("interrupted while runc was running", e);
        }
    }
}
