package io.jsysbox.installer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** major.minor of a kernel release string such as {@code 6.18.44-fc-v669}. Pure. */
public record KernelVersion(int major, int minor) implements Comparable<KernelVersion> {
    private static final Pattern RELEASE = Pattern.compile("^(\\d+)\\.(\\d+)");

    public static KernelVersion parse(String release) {
        Matcher m = RELEASE.matcher(release.trim());
        if (!m.find()) {
            throw new IllegalArgumentException("not a kernel release: " + release);
        }
        return new KernelVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    public boolean atLeast(int major, int minor) {
        return compareTo(new KernelVersion(major, minor)) >= 0;
    }

    @Override
    public int compareTo(KernelVersion other) {
        return major != other.major ? Integer.compare(major, other.major) : Integer.compare(minor, other.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
