package io.jsysbox.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Reports a failure as runc does: one line on stderr and one entry in the {@code --log} file. containerd-shim
 * reads the last error entry of that file and Docker shows it as "OCI runtime create failed: MSG".
 */
public final class ErrorLog {
    public static final String PREFIX = "jsysbox: ";
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");

    private final String logFile;
    private final boolean json;

    public ErrorLog(String logFile, boolean json) {
        this.logFile = logFile;
        this.json = json;
    }

    public void error(String message) {
        log("error", message);
    }

    /** Something went wrong that does not fail the command (e.g. a release the manager will redo itself). */
    public void warning(String message) {
        log("warning", message);
    }

    private void log(String level, String message) {
        System.err.println(PREFIX + oneLine(message));
        try {
            append(level, message);
        } catch (IOException | RuntimeException e) {
            System.err.println(PREFIX + "cannot write the log file " + logFile + ": " + e.getMessage());
        }
    }

    /**
     * Only the log file's entry (none without a log file), at {@code level} "error" or "warning": for the manager,
     * answering the launcher, which prints the message on the runtime's stderr itself.
     */
    public void append(String level, String message) throws IOException {
        if (logFile == null) {
            return;
        }
        String entry = entry(level, PREFIX + oneLine(message), RFC3339.format(OffsetDateTime.now()), json);
        Files.writeString(
                Path.of(logFile),
                entry + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    /** One log entry in runc's (logrus') json or text format. */
    static String entry(String level, String message, String time, boolean json) {
        return json
                ? "{\"level\":\"" + level + "\",\"msg\":" + quoted(message) + ",\"time\":\"" + time + "\"}"
                : "time=\"" + time + "\" level=" + level + " msg=" + quoted(message);
    }

    public static String oneLine(String message) {
        return String.valueOf(message).strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** A JSON string literal (also how logrus quotes text-format values). */
    static String quoted(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
