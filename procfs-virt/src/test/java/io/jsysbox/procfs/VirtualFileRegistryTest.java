package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VirtualFileRegistryTest {
    private final VirtualFileRegistry registry = VirtualFileRegistry.standard();

    @Test
    void procFilesAreRenderedFromTheSameHostPath() {
        for (String path : new String[] {
            "/proc/meminfo",
            "/proc/cpuinfo",
            "/proc/stat",
            "/proc/uptime",
            "/proc/loadavg",
            "/proc/swaps",
            "/proc/diskstats"
        }) {
            VirtualFile.Rendered file = assertInstanceOf(
                    VirtualFile.Rendered.class, registry.lookup(path).orElseThrow());
            assertEquals(path, file.hostPath());
        }
        VirtualFile.Rendered meminfo =
                (VirtualFile.Rendered) registry.lookup("/proc/meminfo").orElseThrow();
        assertInstanceOf(MeminfoRenderer.class, meminfo.renderer());
    }

    @Test
    void everySysctlIsRegisteredAtItsPath() {
        for (SysctlKey key : SysctlKey.values()) {
            assertEquals(
                    new VirtualFile.Sysctl(key), registry.lookup(key.path()).orElseThrow());
        }
        assertEquals(
                new VirtualFile.Sysctl(SysctlKey.NF_CONNTRACK_HASHSIZE),
                registry.lookup("/sys/module/nf_conntrack/parameters/hashsize").orElseThrow());
    }

    @Test
    void productUuidIsGenerated() {
        VirtualFile.Generated file = assertInstanceOf(
                VirtualFile.Generated.class,
                registry.lookup("/sys/devices/virtual/dmi/id/product_uuid").orElseThrow());
        assertEquals(ProductUuid.render(Samples.v1Limited()), file.content().apply(Samples.v1Limited()));
    }

    @Test
    void otherPathsAreNotVirtual() {
        assertTrue(registry.lookup("/proc/version").isEmpty());
        assertTrue(registry.lookup("/proc/meminfo/").isEmpty());
        assertEquals(7 + SysctlKey.values().length + 1, registry.paths().size());
    }
}
