package io.jsysbox.spec;

import io.jsysbox.spec.Prepare.RequestedDevice;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks of the device nodes a container asks for ({@link Prepare.Request#devices}), shared by the runtime, which
 * refuses a bad spec before anything is prepared, and the manager, which makes the nodes as host root and so trusts no
 * client. Each failure is one line naming the device and what to do.
 */
public final class RequestedDevices {
    /** The largest major and minor numbers a Linux dev_t holds (12 and 20 bits). */
    static final long MAX_MAJOR = 0xfff;

    static final long MAX_MINOR = 0xfffff;
    /** The largest uid or gid: a uint32, but (uid_t) -1, which means "no id" to the kernel. */
    static final long MAX_ID = 0xfffffffeL;

    private static final Path DEV = Path.of("/dev");

    private RequestedDevices() {}

    /** Fails with the first problem among {@code devices}: a bad path, number, mode or id, or a path given twice. */
    public static void check(List<RequestedDevice> devices) {
        Map<String, RequestedDevice> byPath = new HashMap<>();
        for (RequestedDevice device : devices) {
            check(device);
            RequestedDevice first = byPath.putIfAbsent(device.path(), device);
            if (first != null) {
                throw new IllegalArgumentException("device " + device.path() + " is asked for twice, as "
                        + numbers(first) + " and as " + numbers(device) + ": give each device its own path");
            }
        }
    }

    private static void check(RequestedDevice device) {
        if (!isNormalPathUnderDev(device.path())) {
            throw new IllegalArgumentException(describe(device) + ": its path in the container must be a normalized"
                    + " path under /dev (no '..'): give it one, e.g. --device HOST-PATH:/dev/NAME");
        }
        if (device.major() < 1 || device.major() > MAX_MAJOR) {
            throw new IllegalArgumentException(describe(device) + ": a major number is 1-" + MAX_MAJOR
                    + " (0 is no device): give the numbers of a device node the host has (ls -l)");
        }
        if (device.minor() < 0 || device.minor() > MAX_MINOR) {
            throw new IllegalArgumentException(describe(device) + ": a minor number is 0-" + MAX_MINOR
                    + ": give the numbers of a device node the host has (ls -l)");
        }
        if ((device.fileMode() & ~07777L) != 0) {
            throw new IllegalArgumentException(describe(device) + ": file mode 0"
                    + Long.toOctalString(device.fileMode())
                    + " has bits beyond the permissions (07777): give the permission bits only");
        }
        for (long id : List.of(device.uid(), device.gid())) {
            if (id < 0 || id > MAX_ID) {
                throw new IllegalArgumentException(describe(device) + ": owner " + device.uid() + ":"
                        + device.gid() + " is not a uid:gid (0-" + MAX_ID
                        + "): give the ids of the host node's owner and group");
            }
        }
    }

    /** Absolute, already normalized (no ".", "..", "//" or trailing "/"), and below /dev. */
    static boolean isNormalPathUnderDev(String path) {
        try {
            Path parsed = Path.of(path);
            return parsed.isAbsolute()
                    && parsed.normalize().toString().equals(path)
                    && parsed.startsWith(DEV)
                    && !parsed.equals(DEV);
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** How errors name a device: "device /dev/kvm (c 10:232)". */
    public static String describe(RequestedDevice device) {
        return "device " + device.path() + " (" + numbers(device) + ")";
    }

    private static String numbers(RequestedDevice device) {
        return (device.block() ? "b " : "c ") + device.major() + ":" + device.minor();
    }
}
