package io.jsysbox.installer;

import io.jsysbox.api.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Small file helpers for host configuration files: read-or-empty and atomic replace. */
final class HostFiles {
    private HostFiles() {}

    static String readOrEmpty(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Replaces {@code file} by a complete new version, durably: host configuration outlives a reboot. */
    static void writeAtomically(Path file, String text, String permissions) {
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.replace(
                    file,
                    text.getBytes(StandardCharsets.UTF_8),
                    PosixFilePermissions.fromString(permissions),
                    AtomicFiles.Durability.DURABLE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Writes {@code text} to {@code file} unless it holds that already, so an unchanged file keeps its time; true if
     * written.
     */
    static boolean replaceIfDifferent(Path file, String text, String permissions) {
        if (text.equals(readOrEmpty(file))) {
            return false;
        }
        writeAtomically(file, text, permissions);
        return true;
    }

    /** A text resource shipped next to this class. */
    static String resource(String name) {
        try (InputStream in = HostFiles.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(
                        "resource " + name + " missing from the installer jar: rebuild with installer/install.sh");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String mountinfo() {
        return readOrEmpty(Path.of("/proc/self/mountinfo"));
    }

    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
