package io.jsysbox.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Linux capability names by bit number, and the host's capability bounding set. This table only names bits;
 * what a container gets is always the set the host actually allows (read from CapBnd), never the whole table.
 */
public final class Capabilities {
    /** Index = capability number (linux/capability.h). */
    private static final String[] NAMES = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    };

    private Capabilities() {}

    /**
     * The names of the capabilities set in {@code mask}, in bit order. Bits this table does not know (a kernel
     * newer than it) are left out: runc could not name them either.
     */
    static List<String> namesOf(long mask) {
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < NAMES.length; bit++) {
            if ((mask & (1L << bit)) != 0) {
                names.add(NAMES[bit]);
            }
        }
        return names;
    }

    /** The CapBnd mask of a /proc/PID/status text. */
    static long boundingMask(String procStatus) {
        for (String line : procStatus.split("\n")) {
            if (line.startsWith("CapBnd:")) {
                return Long.parseUnsignedLong(line.substring(7).strip(), 16);
            }
        }
        throw new IllegalArgumentException("no CapBnd line in /proc/self/status");
    }

    /** The capability bounding set of this process, which is what runc (our child) can grant. */
    public static List<String> hostBoundingSet() throws JsysboxException {
        return namesOf(ownBoundingMask());
    }

    /** This process's CapBnd mask (runc, its child, can grant no more). */
    public static long ownBoundingMask() throws JsysboxException {
        try {
            return boundingMask(Files.readString(Path.of("/proc/self/status")));
        } catch (IOException | RuntimeException e) {
            throw new JsysboxException(
                    "cannot read the capability bounding set from /proc/self/status: " + e.getMessage(), e);
        }
    }

    /** The capabilities of a CapBnd mask as /proc/PID/status writes it (hex), e.g. another process's. */
    public static List<String> boundingSet(String hexMask) throws JsysboxException {
        try {
            return namesOf(Long.parseUnsignedLong(hexMask.strip(), 16));
        } catch (NumberFormatException e) {
            throw new JsysboxException("capability bounding set '" + hexMask + "' is not a hex mask", e);
        }
    }
}
