package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Podman inside a jsysbox container: rootful with overlay storage and its default network, and rootless. */
@EndToEnd
class PodmanInsideTest {
    private static final String IMAGE = "jsysbox/podman:latest";
    private static final String IMPORT_BUSYBOX =
            "podman import -q /opt/jsysbox/busybox-rootfs.tar localhost/busybox >/dev/null";

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void rootfulPodmanRunsOnOverlayAndContainersTalkOverItsNetwork() {
        String id = docker.runDetached("--runtime=jsysbox", IMAGE);
        Docker.execOk(id, "sh", "-c", IMPORT_BUSYBOX);
        assertEquals(
                "overlay",
                Docker.execOk(id, "podman", "info", "--format", "{{.Store.GraphDriverName}}"),
                "overlay storage on the special /var/lib/containers mount, not 'overlay is not supported over "
                        + "overlayfs'");
        Docker.execOk(
                id,
                "podman",
                "run",
                "-d",
                "--name",
                "web",
                "localhost/busybox",
                "sh",
                "-c",
                "mkdir /www && echo hello-from-podman > /www/index.html && exec httpd -f -p 8080 -h /www");
        String ip = Docker.execOk(id, "podman", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web");
        String page = Await.until(
                        "the web container to answer on its network",
                        Docker.COMMAND_TIMEOUT,
                        () -> Docker.exec(
                                id,
                                "podman",
                                "run",
                                "--rm",
                                "localhost/busybox",
                                "wget",
                                "-qO-",
                                "http://" + ip + ":8080/"),
                        Command.Result::ok)
                .stdout()
                .strip();
        assertEquals("hello-from-podman", page);
        Docker.execOk(id, "podman", "rm", "-f", "-t", "0", "web");
    }

    /**
     * Rootless Podman nests a user namespace (ids 10000-59999 of the container's own range) and mounts a procfs in
     * it: that needs /dev/net/tun (slirp4netns) owned so that a user may open it, and a fully visible procfs.
     */
    @Test
    void rootlessPodmanRunsAsAnUnprivilegedUserInside() {
        String id = docker.runDetached("--runtime=jsysbox", IMAGE);
        List<String> lines = Docker.execOk(
                        id,
                        "su",
                        "builder",
                        "-c",
                        "cd && " + IMPORT_BUSYBOX
                                + " && podman run --rm localhost/busybox sh -c 'echo rootless-ok; cat "
                                + "/proc/self/uid_map' 2>/dev/null")
                .lines()
                .map(String::strip)
                .toList();
        assertEquals("rootless-ok", lines.getFirst(), "output: " + lines);
        assertEquals(
                List.of("0 1000 1", "1 10000 50000"),
                lines.subList(1, 3).stream().map(l -> l.replaceAll("\\s+", " ")).toList(),
                "the inner user namespace maps builder and its subordinate ids: " + lines);
        assertTrue(
                Docker.execOk(id, "stat", "-c", "%U %a", "/dev/net/tun").equals("root 666"), "tun is the container's");
    }
}
