package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: what a tenant, root in its container, does to its special dirs (/var/lib/docker and friends, which the
 * manager copies into the container's layer when it stops) must not take the runtime down for everyone, fill the
 * host's disk, or leave the container behind after {@code docker rm}.
 */
@EndToEnd
class HostileTenantTest {
    private static final Duration COPIED_OUT = Duration.ofMinutes(2);

    @RegisterExtension
    static final Docker docker = new Docker();

    /**
     * 15000 nested dirs in /var/lib/docker: the manager's copy-out at exit walked them recursively and its exit
     * watcher died of a StackOverflowError, so {@code delete} waited forever on the copy-out marker; the shim, the
     * cgroups and the range stayed after {@code docker rm}. Now the walk refuses a tree past its depth limit (the
     * content stays in the special dir, which goes with the layer), the container is released, and the next container
     * starts. (Deeper than dockerd's open-file limit, Docker itself cannot remove the layer: "Removal In Progress".
     * install.sh starts dockerd with docker.service's limit; a dockerd started otherwise may have 20000 here.)
     */
    @Test
    void aDeepTreeInASpecialDirNeitherWedgesTheManagerNorLeavesTheContainerBehind() {
        String id = docker.startIdle(Docker.DIND_IMAGE);
        Docker.execOk(
                id,
                "perl",
                "-e",
                "chdir '/var/lib/docker' or die; for (1..15000) { mkdir 'd' or die \"mkdir: $!\"; chdir 'd' or die }");
        Leftovers leftovers = Leftovers.of(id);

        Docker.dockerOk("stop", "-t", "1", id);
        Docker.dockerOk("rm", id);

        leftovers.awaitNone();
        String next = docker.startIdle(Docker.BUSYBOX_IMAGE);
        assertEquals("ok", Docker.execOk(next, "echo", "ok"), "the manager no longer serves after the deep tree");
    }

    /**
     * A 4 GiB sparse file in /var/lib/docker: the copy-out wrote 4 GiB of real blocks into the layer, as host root,
     * for free. The copy keeps holes now.
     */
    @Test
    void aSparseFileStaysSparseInTheLayer() {
        String id = docker.startIdle(Docker.DIND_IMAGE);
        Docker.execOk(id, "truncate", "-s", "4G", "/var/lib/docker/sparse");
        Docker.execOk(
                id,
                "sh",
                "-c",
                "printf data | dd of=/var/lib/docker/sparse bs=1 seek=1073741824 conv=notrunc 2>/dev/null");
        Docker.dockerOk("stop", "-t", "1", id);

        Path copy = Path.of(Docker.inspect(id, "{{.GraphDriver.Data.UpperDir}}"), "var/lib/docker/sparse");
        Await.until(
                copy + " copied out",
                COPIED_OUT,
                () -> Files.exists(copy) && !Files.exists(Jsysbox.syncMarker(id)),
                done -> done);
        String[] sizeAndBlocks = Command.run(Duration.ofSeconds(10), "stat", "-c", "%s %b", copy.toString())
                .assertOk()
                .out()
                .split(" ");
        assertEquals(4L << 30, Long.parseLong(sizeAndBlocks[0]), "size of the copy");
        long allocated = Long.parseLong(sizeAndBlocks[1]) * 512;
        assertTrue(
                allocated <= 1 << 20,
                "the copy of a 4 GiB sparse file with 4 bytes of data allocates " + allocated + " bytes");
        assertEquals(
                "data",
                Command.run(
                                Duration.ofSeconds(10),
                                "dd",
                                "if=" + copy,
                                "bs=1",
                                "skip=1073741824",
                                "count=4",
                                "status=none")
                        .assertOk()
                        .out(),
                "the data in the sparse file");
    }

    /**
     * An image whose inner store names a layer by a 3 GiB cache-id file: the manager read it whole before checking its
     * size, and died of an OutOfMemoryError in the middle of a create (as root, on the tenant's bytes). Now it reads
     * small regular files only, and the container starts.
     */
    @Test
    void aHugeLayerIdFileInAnImagesInnerStoreIsRefusedAndTheContainerStarts(@TempDir Path context) throws IOException {
        String layerdb = "/var/lib/docker/image/overlay2/layerdb/sha256/" + "1".repeat(64);
        Files.writeString(
                context.resolve("Dockerfile"),
                "FROM " + Docker.BUSYBOX_IMAGE + "\nRUN mkdir -p " + layerdb
                        + " /var/lib/docker/overlay2 && truncate -s 3G " + layerdb + "/cache-id\n");
        String image = "jsysbox-test-huge-cache-id:" + Docker.RUN;
        Docker.dockerOk("build", "-q", "-t", image, context.toString());
        try {
            String id = docker.startIdle(image);
            assertEquals("ok", Docker.execOk(id, "echo", "ok"));
            String next = docker.startIdle(Docker.BUSYBOX_IMAGE);
            assertEquals("ok", Docker.execOk(next, "echo", "ok"), "the manager no longer serves");
        } finally {
            docker.removeAll();
            Docker.docker("rmi", "-f", image);
        }
    }

    /**
     * The manager killed (kill -9) in the middle of a copy-out: the delete stops waiting at once (its marker names a
     * dead manager); the restarted manager copies out again, or releases the container once Docker removed it; after
     * {@code docker rm} nothing of it stays.
     */
    @Test
    void aManagerKilledDuringACopyOutLeavesNothingAfterDockerRm() throws IOException {
        String id = docker.startIdle(Docker.DIND_IMAGE);
        Docker.execOk(
                id,
                "perl",
                "-e",
                "for my $d (1..300) { mkdir \"/var/lib/docker/d$d\" or die $!;"
                        + " for (1..200) { open(F, \">/var/lib/docker/d$d/f$_\") or die $!; print F 'x'; close F } }");
        Leftovers leftovers = Leftovers.of(id);
        CompletableFuture<Command.Result> stopping =
                CompletableFuture.supplyAsync(() -> Docker.docker("stop", "-t", "1", id));
        Await.until(
                "the copy-out of " + id + " to begin",
                Duration.ofMinutes(1),
                () -> Jsysbox.copyOutRunning(id),
                running -> running);
        String manager = Files.readString(Jsysbox.RUN_DIR.resolve("mgr.pid")).strip();
        Command.run(Duration.ofSeconds(10), "kill", "-KILL", manager).assertOk();

        stopping.join().assertOk();
        Jsysbox.awaitManager();
        Docker.dockerOk("rm", id);
        leftovers.awaitNone();
    }
}
