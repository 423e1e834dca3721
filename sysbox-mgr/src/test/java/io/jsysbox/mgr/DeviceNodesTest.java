package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.spec.HostRange;
import io.jsysbox.spec.Prepare.BindMount;
import io.jsysbox.spec.Prepare.DeviceNode;
import io.jsysbox.spec.Prepare.MountReplacement;
import io.jsysbox.spec.Prepare.RequestedDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The device nodes a container gets: pure owner shifting, and (as root) the nodes made on a tmpfs of the test's. */
class DeviceNodesTest {
    private static final HostRange UIDS = new HostRange(1_500_000_000L, 65_536);
    private static final HostRange GIDS = new HostRange(1_500_065_536L, 65_536);
    /** What the nodes of host root show as inside: the container's root. */
    private static final String CONTAINER_ROOT = "1500000000:1500065536";

    private static final RequestedDevice KVM = new RequestedDevice("/dev/kvm", false, 10, 232, 0600, 0, 0);

    private Path tmp;

    @AfterEach
    void cleanUp() throws Exception {
        if (tmp == null) {
            return;
        }
        Mounts.unmountAllUnder(tmp);
        NoFollowTree.delete(tmp.getParent(), tmp.getFileName().toString());
    }

    @Test
    void anIdInsideTheRangeShowsAsItselfAndOnePastItAsTheOverflowId() {
        assertEquals(1_500_000_000, DeviceNodes.hostIdOf(0, UIDS), "host root: the container's root");
        assertEquals(1_500_065_644, DeviceNodes.hostIdOf(108, GIDS), "group kvm 108: gid 108 inside");
        assertEquals(1_500_065_535, DeviceNodes.hostIdOf(65_535, UIDS));
        assertEquals(DeviceNodes.UNMAPPED, DeviceNodes.hostIdOf(65_536, UIDS), "never the next container's first id");
        assertEquals(DeviceNodes.UNMAPPED, DeviceNodes.hostIdOf(4_294_967_294L, UIDS));
        assertEquals(0, DeviceNodes.UNMAPPED, "host root, which no container maps");
    }

    /** The test's dir on the host's disk (made once, as root). */
    private Path tmp() throws Exception {
        RootOnly.assumeRoot();
        if (tmp == null) {
            tmp = Files.createTempDirectory(Path.of("/var/tmp"), "jsysbox-devices");
        }
        return tmp;
    }

    /** A tmpfs like /run/jsysbox/dev, and the nodes made in a container's dir on it. */
    private DeviceNodes.Made make(List<RequestedDevice> requested, List<BindMount> binds) throws Exception {
        DeviceNodes nodes = new DeviceNodes(tmp().resolve("dev"));
        nodes.prepare();
        ContainerState.Builder made = new ContainerState.Builder("c1", 0, tmp.toString(), "");
        DeviceNodes.Made result = nodes.make("0", requested, binds, UIDS, GIDS, made);
        assertEquals(List.of(tmp.resolve("dev/0").toString()), made.dirs, "the dir is recorded for removal");
        return result;
    }

    /** "c 10:232 0600 1500000000:1500065536" for the node of {@code destination}. */
    private static String nodeAt(DeviceNodes.Made made, String destination) throws Exception {
        Map<String, DeviceNode> nodes =
                made.nodes().stream().collect(Collectors.toMap(DeviceNode::destination, Function.identity()));
        return described(Path.of(nodes.get(destination).source()));
    }

    private static String described(Path node) throws Exception {
        Linux.Stat stat;
        try (Fd fd = Linux.openat2(null, node.toString(), Linux.O_PATH | Linux.O_NOFOLLOW, 0)) {
            stat = Linux.stat(fd);
        }
        String type = stat.type() == Linux.S_IFBLK ? "b" : stat.type() == Linux.S_IFCHR ? "c" : "other";
        long dev = stat.rdev(); // decoded as glibc's major() and minor()
        long major = (dev >>> 8) & 0xfff | (dev >>> 32) & ~0xfffL;
        long minor = dev & 0xff | (dev >>> 12) & ~0xffL;
        return type + " " + major + ":" + minor + " 0" + Integer.toOctalString(stat.mode() & 07777) + " " + stat.uid()
                + ":" + stat.gid();
    }

    @Test
    void requestedDevicesGetTheHostNodesModeAndTheirOwnerShiftedIntoTheRange() throws Exception {
        var renderNode = new RequestedDevice("/dev/dri/renderD128", false, 226, 128, 0660, 0, 108);
        var loop = new RequestedDevice("/dev/loop0", true, 7, 0, 0660, 0, 6);
        var strangerOwned = new RequestedDevice("/dev/odd", false, 10, 232, 0666, 70_000, 70_000);
        var renamed = new RequestedDevice("/dev/mykvm", false, 10, 232, 0600, 0, 0);
        var setuid = new RequestedDevice("/dev/setuid", false, 10, 232, 04755, 0, 0);
        DeviceNodes.Made made = make(List.of(KVM, renamed, renderNode, loop, strangerOwned, setuid), List.of());

        assertEquals(
                "c 10:232 0600 " + CONTAINER_ROOT,
                nodeAt(made, "/dev/kvm"),
                "host root's 0600 node: the container root's, so it opens it");
        assertEquals("c 10:232 0600 " + CONTAINER_ROOT, nodeAt(made, "/dev/mykvm"));
        assertEquals(
                "c 226:128 0660 1500000000:1500065644",
                nodeAt(made, "/dev/dri/renderD128"),
                "group 108 inside: its members use it");
        assertEquals("b 7:0 0660 1500000000:1500065542", nodeAt(made, "/dev/loop0"));
        assertEquals(
                "c 10:232 0666 0:0",
                nodeAt(made, "/dev/odd"),
                "ids the range does not map: host root, shown as the overflow id");
        assertEquals(
                "c 10:232 04755 " + CONTAINER_ROOT,
                nodeAt(made, "/dev/setuid"),
                "the mode is the host node's, set after the chown (which would clear setuid)");
        assertEquals(
                6,
                made.nodes().stream().filter(DeviceNode::requested).count(),
                "the manager's own are not requested: " + made.nodes());
        assertEquals(List.of(), made.replacements());
    }

    @Test
    void aRequestedDeviceAtTheManagersOwnPathReplacesItsNode() throws Exception {
        assertTrue(Files.exists(Path.of("/dev/net/tun")), "this test needs a host with /dev/net/tun");
        var tun = new RequestedDevice("/dev/net/tun", false, 10, 200, 0600, 0, 0);
        DeviceNodes.Made made = make(List.of(tun), List.of());
        List<DeviceNode> atTun = made.nodes().stream()
                .filter(node -> node.destination().equals("/dev/net/tun"))
                .toList();
        assertEquals(1, atTun.size(), "one node at /dev/net/tun: " + atTun);
        assertTrue(atTun.getFirst().requested());
        assertEquals("c 10:200 0600 " + CONTAINER_ROOT, nodeAt(made, "/dev/net/tun"));
    }

    @Test
    void theManagersOwnNodesAreTheContainerRootsWithMode0666AndNotRequested() throws Exception {
        DeviceNodes.Made made = make(List.of(), List.of());
        for (DeviceNode node : made.nodes()) {
            assertFalse(node.requested(), node.destination());
            assertTrue(nodeAt(made, node.destination()).endsWith(" 0666 " + CONTAINER_ROOT), node.destination());
        }
    }

    private static BindMount bind(int index, Path source, String destination) {
        return new BindMount(index, source.toString(), destination, false);
    }

    @Test
    void aBindSourceThatIsADeviceNodeGetsANodeOfItsOwnAndTheHostNodeStaysAsItWas() throws Exception {
        Path host = Files.createDirectories(tmp().resolve("host"));
        try (Fd dir = Linux.openDirectoryNoSymlinks(host)) {
            Linux.mknodAt(dir, "null", Linux.S_IFCHR, Linux.makedev(1, 3));
            Linux.chownNoFollow(dir, "null", 1000, 108);
            Linux.chmodAt(dir, "null", 0640);
        }
        Files.createSymbolicLink(host.resolve("link"), host.resolve("null"));
        Files.createDirectory(host.resolve("data"));
        String before =
                described(host.resolve("null")) + " inode " + Files.getAttribute(host.resolve("null"), "unix:ino");

        DeviceNodes.Made made = make(
                List.of(),
                List.of(
                        bind(4, host.resolve("null"), "/dev/mynull"),
                        bind(5, host.resolve("link"), "/x"),
                        bind(6, host.resolve("data"), "/data"),
                        bind(7, host.resolve("missing"), "/m")));

        assertEquals(
                List.of(4, 5),
                made.replacements().stream().map(MountReplacement::index).toList());
        for (MountReplacement replacement : made.replacements()) {
            assertEquals(
                    "c 1:3 0640 1500001000:1500065644",
                    described(Path.of(replacement.source())),
                    "the host node's mode and its owner shifted; a symlink to it is followed");
        }
        assertEquals(
                List.of(6, 7), made.otherBinds().stream().map(BindMount::index).toList(), "left to ID mapping");
        assertEquals(
                before,
                described(host.resolve("null")) + " inode " + Files.getAttribute(host.resolve("null"), "unix:ino"),
                "the host node's owner, mode and inode are unchanged");
    }
}
