package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * `docker run --network container:OTHER` between jsysbox containers: the second joins a network namespace its own
 * user namespace does not own (so it cannot mount a sysfs: it gets the host's, read-only) and shares the first's
 * addresses, in a range of its own. (`docker exec` into it fails: runc cannot join a network namespace of another user
 * namespace; sharing the first container's user namespace, as a Kubernetes pod's containers must, is what fixes that.)
 */
@EndToEnd
class SharedNetworkTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void aContainerJoinsAnotherJsysboxContainersNetwork() {
        String first = docker.runDetached("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "sleep", "600");
        String[] addresses = {"sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'; cat /proc/self/uid_map"};
        String[] mine = Docker.execOk(first, addresses).split("\\s+");
        String[] joined = docker.runOnce(Docker.BUSYBOX_IMAGE, java.util.List.of("--network", "container:" + first), addresses).split("\\s+");

        assertEquals(mine[0], joined[0], "the joined container does not have the first one's address");
        assertEquals("0", joined[1]);
        assertNotEquals(mine[2], joined[2], "each container keeps its own range");
    }
}
