package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sysinfo the seccomp agent writes, from a registered container's cgroups (this JVM stands in for an init). */
class ContainerFilesSysinfoTest {
    @TempDir
    Path temp;

    @Test
    void aRegisteredContainersSysinfoOnlyForCallersThatReadItsMeminfo() throws Exception {
        ContainerRegistry registry = new ContainerRegistry(temp.resolve("fs-state.json"));
        registry.register("self", ProcessHandle.current().pid(), 0, false);
        ContainerFiles files = new ContainerFiles(registry);

        assertThrows(
                IOException.class, () -> files.sysinfo("unknown"), "not registered: the agent lets the kernel answer");
        assertTrue(
                files.sysinfo("self", (int) ProcessHandle.current().pid()).isEmpty(),
                "this JVM reads the host's /proc/meminfo: its sysinfo stays the host's, so the two agree");
        ByteBuffer sysinfo = ByteBuffer.wrap(files.sysinfo("self")).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(112, sysinfo.capacity());
        long hostTotal = Long.parseLong(Files.readString(Path.of("/proc/meminfo"))
                        .lines()
                        .filter(line -> line.startsWith("MemTotal:"))
                        .findFirst()
                        .orElseThrow()
                        .replaceAll("\\D", ""))
                * 1024;
        long totalRam = sysinfo.getLong(32);
        assertTrue(totalRam > 0 && totalRam <= hostTotal, "totalram " + totalRam + " within the host's " + hostTotal);
        assertTrue(sysinfo.getLong(40) <= totalRam, "freeram");
        assertTrue(Short.toUnsignedInt(sysinfo.getShort(80)) > 0, "procs: at least this JVM");
        assertEquals(1, sysinfo.getInt(104), "mem_unit");
    }
}
