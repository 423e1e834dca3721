package io.jsysbox.installer;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs host tools (docker, systemctl, kill) and collects their output. */
final class Commands {
    record Result(int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }
        /** The first non-blank of stderr/stdout, for one-line error messages. */
        String reason() {
            return (err.isBlank() ? out : err).strip();
        }
    }

    private Commands() {}

    /** Runs {@code command}; a missing program or a timeout is reported as exit 127 / 124, like a shell would. */
    static Result run(Duration timeout, List<String> command) {
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            return new Result(127, "", command.getFirst() + ": not found");
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return new Result(
                        124, "", String.join(" ", command) + ": no answer within " + timeout.toSeconds() + "s");
            }
            return new Result(process.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(130, "", "interrupted");
        }
    }

    static Result run(String... command) {
        return run(Duration.ofSeconds(30), List.of(command));
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
