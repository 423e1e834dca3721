package io.jsysbox.procfs;

import java.util.Arrays;

/** Regex-free helpers for the whitespace-separated numbers of /proc and cgroup files (renderers run on every read). */
final class Fields {
    private Fields() {}

    /** The end of {@code line}'s line starting at {@code start}: the index of its '\n', or the text length. */
    static int lineEnd(String text, int start) {
        int end = text.indexOf('\n', start);
        return end < 0 ? text.length() : end;
    }

    static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /** The first index in [from, to) that is not a blank, or {@code to}. */
    static int skipBlanks(String text, int from, int to) {
        while (from < to && isBlank(text.charAt(from))) {
            from++;
        }
        return from;
    }

    /** The first index in [from, to) that is a blank, or {@code to}. */
    static int skipToBlank(String text, int from, int to) {
        while (from < to && !isBlank(text.charAt(from))) {
            from++;
        }
        return from;
    }

    /** The blank-separated words of {@code text} between {@code from} and {@code to}. */
    static String[] words(String text, int from, int to) {
        String[] words = new String[8];
        int count = 0;
        for (int start = skipBlanks(text, from, to); start < to; start = skipBlanks(text, start, to)) {
            int end = skipToBlank(text, start, to);
            if (count == words.length) {
                words = Arrays.copyOf(words, count * 2);
            }
            words[count++] = text.substring(start, end);
            start = end;
        }
        return Arrays.copyOf(words, count);
    }

    /** The whitespace-separated numbers of {@code line} from index {@code from} on. */
    static long[] longs(String line, int from) {
        return longs(line, from, line.length());
    }

    /** The whitespace-separated numbers of {@code text} between {@code from} and {@code to}. */
    static long[] longs(String text, int from, int to) {
        long[] values = new long[8];
        int count = 0;
        int i = from;
        while (true) {
            while (i < to && isBlank(text.charAt(i))) {
                i++;
            }
            if (i >= to) {
                break;
            }
            int start = i;
            while (i < to && !isBlank(text.charAt(i))) {
                i++;
            }
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            try {
                values[count++] = Long.parseLong(text, start, i, 10);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number: '" + text.substring(start, i) + "'", e);
            }
        }
        return Arrays.copyOf(values, count);
    }

    /**
     * The number of the line {@code label}: in a /proc/meminfo-style text ("MemFree:   1234 kB"), or -1 when the text
     * has no such line.
     */
    static long labelledNumber(String text, String label) {
        String key = label + ":";
        int start = text.startsWith(key) ? 0 : text.indexOf("\n" + key) + 1;
        if (start == 0 && !text.startsWith(key)) {
            return -1;
        }
        int end = lineEnd(text, start);
        int from = skipBlanks(text, start + key.length(), end);
        return Long.parseLong(text, from, skipToBlank(text, from, end), 10);
    }

    /** Appends {@code value} right-aligned in {@code width} columns (wider when it needs more), like printf "%Nd". */
    static void appendPadded(StringBuilder out, long value, int width) {
        int digits = Long.toString(value).length();
        for (int i = digits; i < width; i++) {
            out.append(' ');
        }
        out.append(value);
    }

    /** Appends hundredths as "I.FF" (the kernel's "%lu.%02lu"). */
    static void appendHundredths(StringBuilder out, long hundredths) {
        out.append(hundredths / 100).append('.');
        long fraction = hundredths % 100;
        if (fraction < 10) {
            out.append('0');
        }
        out.append(fraction);
    }

    /** Parses "I.FF" (digits, an optional fraction of up to two digits) into hundredths. */
    static long parseHundredths(String text, int from, int to) {
        int dot = text.indexOf('.', from);
        if (dot < 0 || dot > to) {
            return Long.parseLong(text, from, to, 10) * 100;
        }
        long whole = Long.parseLong(text, from, dot, 10);
        long fraction = 0;
        int digits = 0;
        for (int i = dot + 1; i < to && digits < 2; i++, digits++) {
            fraction = fraction * 10 + (text.charAt(i) - '0');
        }
        return whole * 100 + (digits == 1 ? fraction * 10 : fraction);
    }
}
