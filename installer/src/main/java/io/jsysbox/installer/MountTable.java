package io.jsysbox.installer;

import java.util.List;

/** Reads /proc/self/mountinfo text. Pure. */
final class MountTable {
    private MountTable() {}

    /** Mount points strictly below {@code dir} (mountinfo field 5, octal escapes decoded). */
    static List<String> mountPointsBelow(String mountinfo, String dir) {
        String prefix = dir.endsWith("/") ? dir : dir + "/";
        return mountinfo.lines()
                .map(line -> line.split(" "))
                .filter(fields -> fields.length > 4)
                .map(fields -> unescape(fields[4]))
                .filter(point -> point.startsWith(prefix))
                .toList();
    }

    /** mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
