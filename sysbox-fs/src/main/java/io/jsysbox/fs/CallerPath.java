package io.jsysbox.fs;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens a path a notified process named in a syscall, as that process would find it, from the host and without
 * trusting its tree: nothing is resolved but through openat2 confined to the caller's root (absolute paths) or below
 * its working directory (relative ones), with no magic link followed.
 */
final class CallerPath {
    /** A caller's own descriptor, as runc and crun name their mount targets. */
    private static final Pattern OWN_DESCRIPTOR = Pattern.compile("/proc/(?:self|thread-self)/fd/(\\d{1,9})");

    private CallerPath() {}

    /**
     * {@code path} of process {@code pid}, opened with {@code flags} (O_PATH and the like; O_NOFOLLOW to open a last
     * symlink itself).
     */
    static Fd open(int pid, String path, int flags) throws LinuxException {
        String process = "/proc/" + pid;
        Matcher own = OWN_DESCRIPTOR.matcher(path);
        if (own.matches()) {
            // The caller's open file itself: the host's /proc hands it over, nothing of the container is resolved.
            return Linux.openat2(null, process + "/fd/" + own.group(1), flags, 0);
        }
        boolean absolute = path.startsWith("/");
        String base = process + (absolute ? "/root" : "/cwd");
        try (Fd start = Linux.openat2(null, base, Linux.O_PATH | Linux.O_DIRECTORY, 0)) {
            long confined = absolute ? Linux.RESOLVE_IN_ROOT : Linux.RESOLVE_BENEATH;
            return Linux.openat2(start, path, flags, confined | Linux.RESOLVE_NO_MAGICLINKS);
        }
    }
}
