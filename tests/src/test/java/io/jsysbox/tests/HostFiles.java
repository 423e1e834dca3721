package io.jsysbox.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Pure parsers for the host files the tests read (/etc/subuid, /proc/PID/status, mountinfo). */
public final class HostFiles {
    private HostFiles() {}

    /** The first {@code user:start:count} entry of /etc/subuid or /etc/subgid text for the user. */
    public static Optional<IdRange> subIdRange(String subIdText, String user) {
        return subIdText.lines().map(String::strip)
                .filter(line -> !line.startsWith("#"))
                .map(line -> line.split(":"))
                .filter(f -> f.length == 3 && f[0].equals(user))
                .map(f -> new IdRange(Long.parseLong(f[1].strip()), Long.parseLong(f[2].strip())))
                .findFirst();
    }

    /** The real uid from /proc/PID/status ({@code Uid: real effective saved fs}). */
    public static long realUid(String statusText) {
        return statusText.lines().filter(line -> line.startsWith("Uid:"))
                .map(line -> Long.parseLong(line.substring("Uid:".length()).strip().split("\\s+")[0]))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Uid: line in status text"));
    }

    /** Mount points (field 5) of /proc/PID/mountinfo text, with the kernel's octal escapes undone. */
    public static List<String> mountPoints(String mountinfoText) {
        return mountinfoText.lines().filter(line -> !line.isBlank())
                .map(line -> unescapeOctal(line.split(" ")[4])).toList();
    }

    /** mountinfo writes space, tab, newline and backslash as \040, \011, \012 and \134. */
    static String unescapeOctal(String field) {
        StringBuilder s = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                s.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }

    /** Lines of {@code ls -ln} output (entries only, no "total" line) whose owner or group is not as expected. */
    public static List<String> entriesNotOwnedBy(String lsLnText, long uid, long gid, List<String> exceptNames) {
        List<String> wrong = new ArrayList<>();
        for (String line : lsLnText.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 9 || line.startsWith("total")) {
                continue;
            }
            String name = f[8];
            if (exceptNames.contains(name)) {
                continue;
            }
            if (Long.parseLong(f[2]) != uid || Long.parseLong(f[3]) != gid) {
                wrong.add(line.strip());
            }
        }
        return wrong;
    }
}
