package io.jsysbox.installer;

import java.util.ArrayList;
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

    /**
     * File system types mounted exactly at {@code point}, in mountinfo order (the last one is on top). The type is
     * the first field after the {@code -} separator; the optional fields before it vary in number.
     */
    static List<String> typesAt(String mountinfo, String point) {
        List<String> types = new ArrayList<>();
        for (String line : mountinfo.lines().toList()) {
            List<String> fields = List.of(line.split(" "));
            int separator = fields.indexOf("-");
            if (separator > 4 && separator + 1 < fields.size() && unescape(fields.get(4)).equals(point)) {
                types.add(fields.get(separator + 1));
            }
        }
        return types;
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
