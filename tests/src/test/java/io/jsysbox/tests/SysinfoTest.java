package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * sysinfo(2) in a jsysbox container (busybox {@code free}, libuv, glibc's {@code sysconf(_SC_PHYS_PAGES)}) is answered
 * by jsysbox-fs's seccomp agent with the container's numbers, as its /proc/meminfo shows them: busybox free prints
 * sysinfo's totalram in KiB. Also without Docker's seccomp profile and in {@code docker exec}. An inner container's:
 * {@link InnerDockerTest}.
 */
@EndToEnd
class SysinfoTest {
    private static final List<String> LIMIT = List.of("--memory", "256m");
    private static final long LIMIT_KIB = 256 * 1024;

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void busyboxFreeShowsTheMemoryLimit() {
        assertNotEquals(LIMIT_KIB, Host.memTotalKb(), "the host's MemTotal should differ, or this proves nothing");
        assertLimit(docker.runOnce(Docker.BUSYBOX_IMAGE, LIMIT, "free"));
    }

    /** seccomp=unconfined leaves the spec without a filter: the runtime makes one that only notifies sysinfo. */
    @Test
    void withoutASeccompProfileToo() {
        List<String> unconfined = List.of("--memory", "256m", "--security-opt", "seccomp=unconfined");
        assertLimit(docker.runOnce(Docker.BUSYBOX_IMAGE, unconfined, "free"));
    }

    /** runc hands the agent each exec'd process's filter as well. */
    @Test
    void dockerExecToo() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, LIMIT.toArray(String[]::new));
        assertLimit(Docker.execOk(id, "free"));
        assertLimit(Docker.execOk(id, "free"));
    }

    /** The Mem: row's total is the limit, and no other column exceeds it (free computes "used" from both sources). */
    private static void assertLimit(String free) {
        assertEquals(LIMIT_KIB, HostFiles.freeTotal(free), "busybox free (sysinfo's totalram, KiB):\n" + free);
        String memRow =
                free.lines().filter(line -> line.startsWith("Mem:")).findFirst().orElseThrow();
        long[] columns = Arrays.stream(memRow.substring(4).strip().split("\\s+"))
                .mapToLong(Long::parseLong)
                .toArray();
        for (long column : columns) {
            assertTrue(column <= LIMIT_KIB, "a Mem: column above the 256 MiB limit:\n" + free);
        }
    }
}
