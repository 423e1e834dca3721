package io.jsysbox.procfs;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The virtual files a container sees, by the absolute path it sees them at. */
public final class VirtualFileRegistry {
    private final Map<String, VirtualFile> files;

    private VirtualFileRegistry(Map<String, VirtualFile> files) {
        this.files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /** Every file this module virtualizes. */
    public static VirtualFileRegistry standard() {
        Map<String, VirtualFile> files = new LinkedHashMap<>();
        rendered(files, "/proc/meminfo", new MeminfoRenderer());
        rendered(files, "/proc/cpuinfo", new CpuinfoRenderer());
        rendered(files, "/proc/stat", new ProcStatRenderer());
        rendered(files, "/proc/uptime", new UptimeRenderer());
        rendered(files, "/proc/loadavg", new LoadavgRenderer());
        rendered(files, "/proc/swaps", new SwapsRenderer());
        rendered(files, "/proc/diskstats", new DiskstatsRenderer());
        for (SysctlKey key : SysctlKey.values()) {
            files.put(key.path(), new VirtualFile.Sysctl(key));
        }
        files.put("/sys/devices/virtual/dmi/id/product_uuid", new VirtualFile.Generated(ProductUuid::render));
        return new VirtualFileRegistry(files);
    }

    private static void rendered(Map<String, VirtualFile> files, String path, ProcFileRenderer renderer) {
        files.put(path, new VirtualFile.Rendered(path, renderer));
    }

    public Optional<VirtualFile> lookup(String path) {
        return Optional.ofNullable(files.get(path));
    }

    /** All paths, in a stable order (files first by family, then sysctls). */
    public Set<String> paths() {
        return files.keySet();
    }
}
