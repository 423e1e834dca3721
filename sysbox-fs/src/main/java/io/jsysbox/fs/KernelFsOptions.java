package io.jsysbox.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code mount -o} options of a procfs or sysfs mount(2) asked for: its flags as words, then its data. Only what
 * those take from a user namespace: per-mount flags, and a procfs's {@code hidepid=} and {@code subset=}. {@code gid=}
 * is refused (empty): it names a group of the mounter's user namespace, and the mount is made from the host's.
 */
final class KernelFsOptions {
    private static final long MS_MGC_MASK = 0xffff0000L;
    private static final long MS_MGC_VAL = 0xc0ed0000L;
    private static final long MS_SILENT = 1 << 15;
    private static final Map<Long, String> FLAGS = Map.of(
            1L,
            "ro",
            2L,
            "nosuid",
            4L,
            "nodev",
            8L,
            "noexec",
            256L,
            "nosymfollow",
            1024L,
            "noatime",
            2048L,
            "nodiratime",
            1L << 21,
            "relatime",
            1L << 24,
            "strictatime");
    private static final Pattern PROC_DATA =
            Pattern.compile("(hidepid=(?:[0-4]|off|noaccess|invisible|ptraceable)|subset=pid)");

    private KernelFsOptions() {}

    /** The options of {@code fs} for {@code flags} and {@code data}; empty when some are not ones this makes. */
    static Optional<String> of(KernelFsMounter.KernelFs fs, long flags, String data) {
        if ((flags & MS_MGC_MASK) == MS_MGC_VAL) {
            flags &= ~MS_MGC_MASK; // the pre-2.4 magic some callers still pass
        }
        flags &= ~MS_SILENT;
        List<String> options = new ArrayList<>();
        if ((flags & 1) == 0) {
            options.add("rw");
        }
        for (long bit = 1; bit != 0 && bit <= flags; bit <<= 1) {
            if ((flags & bit) == 0) {
                continue;
            }
            String word = FLAGS.get(bit);
            if (word == null) {
                return Optional.empty();
            }
            options.add(word);
        }
        for (String option : data.split(",")) {
            if (option.isEmpty()) {
                continue;
            }
            if (fs != KernelFsMounter.KernelFs.PROC
                    || !PROC_DATA.matcher(option).matches()) {
                return Optional.empty();
            }
            options.add(option);
        }
        return Optional.of(String.join(",", options));
    }
}
