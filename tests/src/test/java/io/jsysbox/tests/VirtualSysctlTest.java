package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sysctls the kernel does not namespace (kernel.panic, vm.overcommit_memory, …) are the container's own in a
 * jsysbox container: seeded from the host, written and validated per container, never reaching the host. Sysctls
 * the kernel does namespace still go to the kernel.
 */
@EndToEnd
class VirtualSysctlTest {
    private static final String PANIC = "/proc/sys/kernel/panic";
    private static final String OVERCOMMIT = "/proc/sys/vm/overcommit_memory";
    private static final String CAP_LAST_CAP = "/proc/sys/kernel/cap_last_cap";
    private static final String BOOT_ID = "/proc/sys/kernel/random/boot_id";

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void writesStayInTheWritingContainer() {
        String hostPanic = Host.value(PANIC);
        String hostOvercommit = Host.value(OVERCOMMIT);
        String panic = Host.otherThanHosts(PANIC, "7", "8");
        String overcommit = Host.otherThanHosts(OVERCOMMIT, "1", "2");
        String writer = docker.startIdle(Docker.DIND_IMAGE);
        String other = docker.startIdle(Docker.DIND_IMAGE);

        Docker.execOk(writer, "sh", "-c", "echo " + panic + " > " + PANIC);
        Docker.execOk(writer, "sysctl", "-w", "vm.overcommit_memory=" + overcommit);

        assertAll(
                "the writer reads its values",
                () -> assertEquals(panic, Docker.execOk(writer, "cat", PANIC), "kernel.panic"),
                () -> assertEquals(
                        overcommit,
                        Docker.execOk(writer, "sysctl", "-n", "vm.overcommit_memory"),
                        "vm.overcommit_memory"));
        assertAll(
                "the host's values are untouched",
                () -> assertEquals(hostPanic, Host.value(PANIC), "kernel.panic"),
                () -> assertEquals(hostOvercommit, Host.value(OVERCOMMIT), "vm.overcommit_memory"));
        assertAll(
                "a concurrently running container reads the host's values",
                () -> assertEquals(hostPanic, Docker.execOk(other, "cat", PANIC), "kernel.panic"),
                () -> assertEquals(
                        hostOvercommit,
                        Docker.execOk(other, "sysctl", "-n", "vm.overcommit_memory"),
                        "vm.overcommit_memory"));
    }

    @Test
    void invalidValuesFailWithEinvalAndChangeNothing() {
        String id = docker.startIdle(Docker.DIND_IMAGE);
        String panic = Docker.execOk(id, "cat", PANIC);
        String overcommit = Docker.execOk(id, "cat", OVERCOMMIT);

        // bash, not Debian's sh: dash reports every failed write as "I/O error", whatever the errno.
        Command.Result notANumber = Docker.exec(id, "bash", "-c", "echo abc > " + PANIC);
        assertFalse(notANumber.ok(), "writing 'abc' to kernel.panic succeeded: " + notANumber);
        assertTrue(notANumber.stderr().contains("Invalid argument"), "EINVAL expected: " + notANumber);
        // vm.overcommit_memory takes 0..2 only, as the kernel's proc_dointvec_minmax says.
        Command.Result outOfRange = Docker.exec(id, "sysctl", "-w", "vm.overcommit_memory=3");
        assertFalse(outOfRange.ok(), "vm.overcommit_memory=3 succeeded: " + outOfRange);
        assertTrue(outOfRange.stderr().contains("Invalid argument"), "EINVAL expected: " + outOfRange);

        assertEquals(panic, Docker.execOk(id, "cat", PANIC), "kernel.panic kept its value");
        assertEquals(overcommit, Docker.execOk(id, "cat", OVERCOMMIT), "vm.overcommit_memory kept its value");
    }

    @Test
    void readOnlyKeysRefuseWritesAndShowTheHostsValue() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE);
        Command.Result write = Docker.exec(id, "sh", "-c", "echo 1 > " + CAP_LAST_CAP);
        assertFalse(write.ok(), "writing the read-only kernel.cap_last_cap succeeded: " + write);
        assertTrue(
                write.stderr().contains("Permission denied") || write.stderr().contains("Operation not permitted"),
                "EACCES or EPERM expected: " + write);
        assertEquals(
                Host.value(CAP_LAST_CAP), Docker.execOk(id, "cat", CAP_LAST_CAP), "kernel.cap_last_cap is the host's");
    }

    @Test
    void bootIdIsPerContainerAndStable() {
        String a = docker.startIdle(Docker.BUSYBOX_IMAGE);
        String b = docker.startIdle(Docker.BUSYBOX_IMAGE);
        String bootIdOfA = Docker.execOk(a, "cat", BOOT_ID);
        List<String> bootIds = List.of(bootIdOfA, Docker.execOk(b, "cat", BOOT_ID), Host.value(BOOT_ID));
        assertEquals(3, bootIds.stream().distinct().count(), "container a, container b and the host: " + bootIds);
        assertEquals(bootIdOfA, Docker.execOk(a, "cat", BOOT_ID), "a container's boot id stays until it restarts");
    }

    /** A restart is a reboot: written values are gone, and the boot id is new. */
    @Test
    void aRestartedContainerStartsAfresh() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE);
        String panic = Host.otherThanHosts(PANIC, "7", "8");
        Docker.execOk(id, "sh", "-c", "echo " + panic + " > " + PANIC);
        String bootId = Docker.execOk(id, "cat", BOOT_ID);
        assertEquals(panic, Docker.execOk(id, "cat", PANIC));

        Docker.dockerOk("restart", "-t", "0", id);

        assertEquals(
                Host.value(PANIC),
                Docker.execOk(id, "cat", PANIC),
                "kernel.panic after the restart is the host's again");
        assertNotEquals(bootId, Docker.execOk(id, "cat", BOOT_ID), "the boot id should change with the restart");
    }

    /**
     * Keys the kernel namespaces are not virtual: a container writes them (network namespace) or sets them with the
     * system call (UTS namespace) and reads its own value from the kernel; the host keeps its value.
     */
    @Test
    void namespacedKeysStillGoToTheKernel() {
        String ipForward = "/proc/sys/net/ipv4/ip_forward";
        String hostForward = Host.value(ipForward);
        String hostHostname = Host.value("/proc/sys/kernel/hostname");
        String forward = Host.otherThanHosts(ipForward, "0", "1");
        String hostname = "jsysbox-test-" + Docker.RUN;
        String id = docker.startIdle(Docker.DIND_IMAGE);

        Docker.execOk(id, "sysctl", "-w", "net.ipv4.ip_forward=" + forward);
        Docker.execOk(id, "hostname", hostname);

        assertAll(
                "the container reads what it set",
                () -> assertEquals(forward, Docker.execOk(id, "cat", ipForward), "net.ipv4.ip_forward"),
                () -> assertEquals(hostname, Docker.execOk(id, "cat", "/proc/sys/kernel/hostname"), "kernel.hostname"));
        assertAll(
                "the host's values are untouched",
                () -> assertEquals(hostForward, Host.value(ipForward), "net.ipv4.ip_forward"),
                () -> assertEquals(hostHostname, Host.value("/proc/sys/kernel/hostname"), "kernel.hostname"));
    }
}
