package io.jsysbox.tests;

/** The host's own kernel files, which a container's virtual ones are compared with. */
public final class Host {
    private Host() {}

    /**
     * The host's file as cat reads it. Not Files.readString: the JDK reads a size-0 file one byte first, and the
     * kernel's sysctl files answer a read at offset 1 with end of file ("40" reads as "4").
     */
    public static String read(String file) {
        return Command.run(Docker.COMMAND_TIMEOUT, "cat", file).assertOk().stdout();
    }

    /** A one-line file (a sysctl) without its newline. */
    public static String value(String file) {
        return read(file).strip();
    }

    public static long cpus() {
        return HostFiles.cpuinfoProcessors(read("/proc/cpuinfo"));
    }

    public static long memTotalKb() {
        return HostFiles.meminfoKb(read("/proc/meminfo"), "MemTotal");
    }

    public static double uptimeSeconds() {
        return HostFiles.uptimeSeconds(read("/proc/uptime"));
    }

    /**
     * A value to write to a sysctl in a container that differs from the host's: {@code preferred}, else {@code other}.
     */
    public static String otherThanHosts(String file, String preferred, String other) {
        return value(file).equals(preferred) ? other : preferred;
    }
}
