package io.jsysbox.tests;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host command to completion, or kills it at a deadline, and captures what it printed. */
public final class Command {
    private static final int SHOWN_CHARS = 4000;

    private Command() {}

    /** What a command could not start: the shell's convention, so callers handle it like any failure. */
    public static final int NOT_STARTED = 127;

    /**
     * What a command did. {@code exitCode} is -1 when it was killed at its deadline, {@link #NOT_STARTED} when it
     * could not be started (e.g. not installed).
     */
    public record Result(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut) {
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** Stdout without surrounding white space. */
        public String out() {
            return stdout.strip();
        }

        public Result assertOk() {
            if (!ok()) {
                throw new AssertionError("command failed: " + this);
            }
            return this;
        }

        @Override
        public String toString() {
            return "`" + String.join(" ", command) + "` "
                    + (timedOut ? "timed out" : "exited " + exitCode)
                    + "\n--- stdout ---\n" + shorten(stdout)
                    + "\n--- stderr ---\n" + shorten(stderr);
        }

        private static String shorten(String text) {
            String s = text.strip();
            return s.length() <= SHOWN_CHARS ? s : "…" + s.substring(s.length() - SHOWN_CHARS);
        }
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    public static Result run(Duration timeout, List<String> command) {
        // Output goes to files, not pipes: a daemon the command starts (`jsysbox start`) may inherit
        // stdout and would keep a pipe open long after the command itself exited.
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("jsysbox-test-cmd", ".out");
            err = Files.createTempFile("jsysbox-test-cmd", ".err");
            Process process;
            try {
                process = new ProcessBuilder(command)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
            } catch (IOException e) {
                return new Result(List.copyOf(command), NOT_STARTED, "", "cannot start: " + e.getMessage(), false);
            }
            boolean finished;
            try {
                finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                if (process.isAlive()) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor();
                }
            }
            return new Result(
                    List.copyOf(command),
                    finished ? process.exitValue() : -1,
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8),
                    !finished);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover temp file is not worth failing a test over
            }
        }
    }
}
