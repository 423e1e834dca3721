package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 1: host devices given with --device (or bound with -v and a --device-cgroup-rule) work as with runc.
 * The node shows the host's owner, group and mode inside (host root as root), root opens /dev/kvm (mode 0600) and
 * asks it KVM_GET_API_VERSION, a device given another name works at that name, the user's r/w/m hold in the device
 * cgroup, and nothing of the node is left, nor is the host's node changed.
 */
@EndToEnd
class DevicesTest {
    private static final Path KVM = Path.of("/dev/kvm");
    /** Has a JDK (17: the incubator's foreign function API) to run the ioctl program with. */
    private static final String JDK_IMAGE = "jsysbox/jdk:latest";

    private static final String KVM_PROGRAM = "/tmp/Kvm.java";
    private static final String EXPECTED_KVM_ANSWER = "KVM_GET_API_VERSION 12";
    /** What identifies a host node: owner, group, mode, inode, type and device numbers. */
    private static final String NODE_FORMAT = "%u %g %a %i %F %t:%T";

    @RegisterExtension
    static final Docker docker = new Docker();

    @TempDir
    Path work;

    @BeforeEach
    void hostHasKvm() {
        assumeTrue(Files.exists(KVM), "this host has no /dev/kvm");
    }

    private static String hostStat(String format, Path node) {
        return Command.run(Duration.ofSeconds(10), "stat", "-c", format, node.toString())
                .assertOk()
                .out();
    }

    /** Asks the KVM device at {@code path} inside the container its API version, as root, from a Java program. */
    private static Command.Result askKvm(String id, String path) {
        Path program;
        try {
            program = Path.of(DevicesTest.class.getResource("/devices/Kvm.java").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Docker.dockerOk("cp", program.toString(), id + ":" + KVM_PROGRAM);
        return Docker.exec(
                id,
                "java",
                "--add-modules",
                "jdk.incubator.foreign",
                "--enable-native-access=ALL-UNNAMED",
                KVM_PROGRAM,
                path);
    }

    /** The container's device dir on the host: the tmpfs path its node at {@code path} is bound from. */
    private static Path deviceDir(String id, String path) {
        // mountinfo: "ID PARENT MAJ:MIN ROOT MOUNT-POINT …"; ROOT is the node's path on the jsysbox-dev tmpfs.
        String root = Docker.execOk(id, "awk", "-v", "at=" + path, "$5 == at {print $4}", "/proc/self/mountinfo");
        assertTrue(root.matches("/[^/\\s]+/[^/\\s]+"), path + " is not bound from a node of jsysbox's: '" + root + "'");
        return Jsysbox.RUN_DIR.resolve("dev").resolve(root.substring(1)).getParent();
    }

    @Test
    void rootOpensKvmAndAsksItsApiVersionAndNothingIsLeftOnceTheContainerIsRemoved() {
        String before = hostStat(NODE_FORMAT, KVM);
        String id = docker.startIdle(JDK_IMAGE, "--device", KVM.toString());
        assertEquals("0 0 600", Docker.execOk(id, "stat", "-c", "%u %g %a", "/dev/kvm"), "as the host shows it");
        assertEquals(EXPECTED_KVM_ANSWER, askKvm(id, "/dev/kvm").assertOk().out());
        Command.Result asUser = Docker.exec(
                id, "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "sh", "-c", "exec 3<>/dev/kvm");
        assertFalse(asUser.ok(), "a user other than root opens a node of mode 0600: " + asUser);
        assertTrue(asUser.stderr().contains("Permission denied"), asUser.toString());

        Path dir = deviceDir(id, "/dev/kvm");
        assertTrue(Files.isDirectory(dir), dir.toString());
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        Docker.remove(id);
        Leftovers.of(id).withMountsBefore(mountsBefore).awaitNone();
        Await.until("the device dir " + dir + " to go", Leftovers.CLEANUP, () -> Files.exists(dir), exists -> !exists);
        assertEquals(
                before,
                hostStat(NODE_FORMAT, KVM),
                "the host's /dev/kvm: owner, group, mode, inode and numbers unchanged");
    }

    @Test
    void aDeviceGivenAnotherNameWorksAtThatName() {
        String id = docker.startIdle(JDK_IMAGE, "--device", KVM + ":/dev/mykvm");
        assertEquals("0 0 600 character special file", Docker.execOk(id, "stat", "-c", "%u %g %a %F", "/dev/mykvm"));
        assertEquals(EXPECTED_KVM_ANSWER, askKvm(id, "/dev/mykvm").assertOk().out());
        assertFalse(Docker.exec(id, "test", "-e", "/dev/kvm").ok(), "only the name asked for");
    }

    @Test
    void theUsersPermissionsHoldInTheDeviceCgroup() {
        String id = docker.startIdle(
                Docker.BUSYBOX_IMAGE, "--device", KVM + ":/dev/kvm-read:r", "--device", "/dev/null:/dev/mynull:r");
        Docker.execOk(id, "sh", "-c", "exec 3</dev/kvm-read");
        Command.Result write = Docker.exec(id, "sh", "-c", "exec 3>/dev/kvm-read");
        assertFalse(write.ok(), "--device ...:r lets root write: " + write);
        assertTrue(
                write.stderr().contains("Operation not permitted"),
                "refused by the device cgroup, not by the mode: " + write);
        // /dev/null (c 1:3) is in Docker's and runc's default device rules (rwm): writing it works as under runc.
        assertEquals("0 0 666", Docker.execOk(id, "stat", "-c", "%u %g %a", "/dev/mynull"));
        Docker.execOk(id, "sh", "-c", "cat /dev/mynull && echo x >/dev/mynull");
    }

    /** A node of the test's own (c 1:3, harmless): what a host group such as kvm, render or video gets inside. */
    private Path hostNodeOwnedBy(String name, int uid, int gid, String mode) {
        Path node = work.resolve(name);
        Command.run(Duration.ofSeconds(10), "mknod", "-m", mode, node.toString(), "c", "1", "3")
                .assertOk();
        Command.run(Duration.ofSeconds(10), "chown", uid + ":" + gid, node.toString())
                .assertOk();
        Command.run(Duration.ofSeconds(10), "chmod", mode, node.toString()).assertOk();
        return node;
    }

    @Test
    void aHostGroupIsTheSameGroupInsideAndItsMembersUseTheNode() {
        Path grouped = hostNodeOwnedBy("grouped", 0, 108, "0660");
        Path stranger = hostNodeOwnedBy("stranger", 70_000, 70_000, "0600");
        String id = docker.startIdle(
                Docker.DIND_IMAGE, "--device", grouped + ":/dev/grouped", "--device", stranger + ":/dev/stranger");
        assertEquals("0 108 660", Docker.execOk(id, "stat", "-c", "%u %g %a", "/dev/grouped"));
        Docker.execOk(
                id, "setpriv", "--reuid=1000", "--regid=1000", "--groups=108", "sh", "-c", "exec 3<>/dev/grouped");
        assertFalse(
                Docker.exec(
                                id,
                                "setpriv",
                                "--reuid=1000",
                                "--regid=1000",
                                "--clear-groups",
                                "sh",
                                "-c",
                                "exec 3<>/dev/grouped")
                        .ok(),
                "a user outside group 108 opens a node of mode 0660");
        // An owner past the container's 65536 ids cannot be shown: the overflow id, as in an ID-mapped bind mount.
        assertEquals("65534 65534 600", Docker.execOk(id, "stat", "-c", "%u %g %a", "/dev/stranger"));
        assertEquals("0 108 660", hostStat("%u %g %a", grouped), "the host node is unchanged");
    }

    /** What Sysbox users do: a bind of the node with a device cgroup rule. Without the rule the cgroup refuses. */
    @Test
    void aBoundDeviceNodeWithADeviceCgroupRuleWorksAsWithDevice() {
        String id = docker.startIdle(JDK_IMAGE, "--device-cgroup-rule", "c 10:232 rwm", "-v", KVM + ":/dev/kvm");
        assertEquals("0 0 600", Docker.execOk(id, "stat", "-c", "%u %g %a", "/dev/kvm"));
        assertEquals(EXPECTED_KVM_ANSWER, askKvm(id, "/dev/kvm").assertOk().out());

        String withoutRule = docker.startIdle(Docker.BUSYBOX_IMAGE, "-v", KVM + ":/dev/kvm");
        Command.Result open = Docker.exec(withoutRule, "sh", "-c", "exec 3<>/dev/kvm");
        assertTrue(!open.ok() && open.stderr().contains("Operation not permitted"), open.toString());
    }

    /**
     * Issue 15, item 3: the engine inside passes a device it was given on to its own container (its runc, in a user
     * namespace, binds the system container's node in and leaves the device cgroup to the one above); a device the
     * system container was not given is not there to pass on.
     */
    @Test
    void anInnerEngineGivesTheDeviceItWasGivenToItsContainer() {
        String given = docker.startDind("--device", KVM.toString());
        assertEquals(
                hostStat("%u %g %a %t:%T", KVM) + " opened",
                Docker.execOk(
                        given,
                        "docker",
                        "run",
                        "--rm",
                        "--device",
                        KVM.toString(),
                        "busybox",
                        "sh",
                        "-c",
                        "echo $(stat -c '%u %g %a %t:%T' /dev/kvm) $(exec 3<>/dev/kvm && echo opened)"));

        String notGiven = docker.startDind();
        Command.Result passOn =
                Docker.exec(notGiven, "docker", "run", "--rm", "--device", KVM.toString(), "busybox", "true");
        assertFalse(
                passOn.ok(), "an inner container got /dev/kvm, which its system container was not given: " + passOn);
    }

    @Test
    void aDeviceOutsideDevIsRefusedNamingItAndNothingIsLeft() {
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        Docker.Attempt run =
                docker.tryRun("--runtime=jsysbox", "--device", KVM + ":/mykvm", Docker.BUSYBOX_IMAGE, "true");
        assertFalse(run.result().ok(), "a device at /mykvm started: " + run.result());
        String stderr = run.result().stderr();
        assertTrue(
                stderr.contains("device /mykvm (c 10:232): its path in the container must be a normalized path"
                        + " under /dev"),
                stderr);
        Docker.findId(run.name())
                .ifPresent(id -> Leftovers.of(id).withMountsBefore(mountsBefore).awaitNone());
    }
}
