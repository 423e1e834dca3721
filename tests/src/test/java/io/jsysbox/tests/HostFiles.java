package io.jsysbox.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Pure parsers for the files the tests read (/etc/subuid, /proc/PID/status, mountinfo), and for /proc files and
 * tool output as the host or a container shows them (meminfo, cpuinfo, stat, uptime, {@code free}).
 */
public final class HostFiles {
    private static final Pattern CPUINFO_PROCESSOR = Pattern.compile("^processor\\s*:.*");
    private static final Pattern STAT_CPU = Pattern.compile("^cpu[0-9]+\\s.*");

    private HostFiles() {}

    /** The first {@code user:start:count} entry of /etc/subuid or /etc/subgid text for the user. */
    public static Optional<IdRange> subIdRange(String subIdText, String user) {
        return subIdText
                .lines()
                .map(String::strip)
                .filter(line -> !line.startsWith("#"))
                .map(line -> line.split(":"))
                .filter(f -> f.length == 3 && f[0].equals(user))
                .map(f -> new IdRange(Long.parseLong(f[1].strip()), Long.parseLong(f[2].strip())))
                .findFirst();
    }

    /** The real uid from /proc/PID/status ({@code Uid: real effective saved fs}). */
    public static long realUid(String statusText) {
        return statusText
                .lines()
                .filter(line -> line.startsWith("Uid:"))
                .map(line ->
                        Long.parseLong(line.substring("Uid:".length()).strip().split("\\s+")[0]))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Uid: line in status text"));
    }

    /** Mount points (field 5) of /proc/PID/mountinfo text, with the kernel's octal escapes undone. */
    public static List<String> mountPoints(String mountinfoText) {
        return mountinfoText
                .lines()
                .filter(line -> !line.isBlank())
                .map(line -> unescapeOctal(line.split(" ")[4]))
                .toList();
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

    /** A /proc/meminfo value in kB, e.g. {@code MemTotal:       16384 kB}. */
    public static long meminfoKb(String meminfoText, String field) {
        String prefix = field + ":";
        return meminfoText
                .lines()
                .filter(line -> line.startsWith(prefix))
                .map(line ->
                        Long.parseLong(line.substring(prefix.length()).strip().split("\\s+")[0]))
                .findFirst()
                .orElseThrow(
                        () -> new IllegalArgumentException("no " + prefix + " line in meminfo text:\n" + meminfoText));
    }

    /** The total of the {@code Mem:} row of {@code free} output (in the unit free was asked for). */
    public static long freeTotal(String freeOutput) {
        return freeOutput
                .lines()
                .filter(line -> line.startsWith("Mem:"))
                .map(line -> Long.parseLong(line.strip().split("\\s+")[1]))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Mem: row in free output:\n" + freeOutput));
    }

    /** The number of {@code processor : N} entries of /proc/cpuinfo text. */
    public static long cpuinfoProcessors(String cpuinfoText) {
        return cpuinfoText
                .lines()
                .filter(line -> CPUINFO_PROCESSOR.matcher(line).matches())
                .count();
    }

    /** The number of per-CPU {@code cpuN} lines of /proc/stat text (not the {@code cpu} total line). */
    public static long statCpuLines(String statText) {
        return statText.lines().filter(line -> STAT_CPU.matcher(line).matches()).count();
    }

    /** The first field of /proc/uptime: seconds since boot (or, in a jsysbox container, since it started). */
    public static double uptimeSeconds(String uptimeText) {
        String[] fields = uptimeText.strip().split("\\s+");
        if (fields.length != 2) {
            throw new IllegalArgumentException("/proc/uptime text should be two numbers: '" + uptimeText + "'");
        }
        return Double.parseDouble(fields[0]);
    }
}
