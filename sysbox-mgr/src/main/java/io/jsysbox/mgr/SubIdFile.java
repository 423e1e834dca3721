package io.jsysbox.mgr;

import io.jsysbox.spec.HostRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The {@code user:start:count} entry of /etc/subuid or /etc/subgid that is the manager's pool. */
public final class SubIdFile {
    private SubIdFile() {}

    public static HostRange read(Path file, String user) throws ConfigurationException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            text = "";
        } catch (IOException e) {
            throw new ConfigurationException("cannot read " + file + ": " + e.getMessage());
        }
        return parse(text, file, user);
    }

    /** The first well-formed entry of {@code user} in {@code text} (the content of {@code file}). */
    public static HostRange parse(String text, Path file, String user) throws ConfigurationException {
        String fix = "; add a line like '" + user + ":1000000000:67108864' to /etc/subuid and /etc/subgid";
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split(":");
            if (fields.length != 3 || !fields[0].equals(user)) {
                continue;
            }
            long start;
            long count;
            try {
                start = Long.parseLong(fields[1]);
                count = Long.parseLong(fields[2]);
            } catch (NumberFormatException e) {
                throw new ConfigurationException("malformed entry '" + line + "' in " + file + fix);
            }
            if (start <= 0 || start + count > 0xFFFF_FFFFL) {
                throw new ConfigurationException("entry '" + line + "' in " + file + " is outside 1..4294967294" + fix);
            }
            if (count < IdRangeAllocator.RANGE_SIZE) {
                throw new ConfigurationException("entry '" + line + "' in " + file + " holds fewer than "
                        + IdRangeAllocator.RANGE_SIZE + " ids" + fix);
            }
            return new HostRange(start, count);
        }
        throw new ConfigurationException("no '" + user + ":<start>:<count>' entry in " + file + fix);
    }
}
