package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Docker's way of sharing namespaces between containers (`--network`, `--ipc`, `--pid container:OTHER`) between
 * jsysbox containers: the second joins the first's user namespace and range, as a Kubernetes pod's containers join
 * their sandbox's — only from the user namespace that owns them can its root join and use the first's namespaces.
 */
@EndToEnd
class SharedNetworkTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void aContainerJoiningAnotherJsysboxContainersNamespacesSharesItsUserNamespace() {
        String first =
                docker.runDetached("--runtime=jsysbox", "--ipc", "shareable", Docker.BUSYBOX_IMAGE, "sleep", "601");
        String joined = docker.runDetached(
                "--runtime=jsysbox",
                "--network",
                "container:" + first,
                "--ipc",
                "container:" + first,
                "--pid",
                "container:" + first,
                Docker.BUSYBOX_IMAGE,
                "sleep",
                "602");

        for (String namespace : List.of("user", "net", "ipc", "pid")) {
            assertEquals(
                    Docker.execOk(first, "readlink", "/proc/self/ns/" + namespace),
                    Docker.execOk(joined, "readlink", "/proc/self/ns/" + namespace),
                    namespace + " namespace");
        }
        assertEquals(
                Docker.execOk(first, "cat", "/proc/self/uid_map"), Docker.execOk(joined, "cat", "/proc/self/uid_map"));
        assertTrue(Docker.execOk(joined, "ps", "-o", "args").contains("sleep 601"), "the first container's process");
        Docker.execOk(first, "sh", "-c", "echo shared > /dev/shm/from-first");
        assertEquals("shared", Docker.execOk(joined, "cat", "/dev/shm/from-first"));
        String interfaces = Docker.execOk(joined, "ls", "/sys/class/net");
        assertTrue(
                interfaces.contains("eth0") && !interfaces.contains("docker0"),
                "sysfs of the shared network, not the host's: " + interfaces);
        Docker.execOk(joined, "sh", "-c", "ip link add jsbx-test0 type bridge && ip link delete jsbx-test0");
    }
}
