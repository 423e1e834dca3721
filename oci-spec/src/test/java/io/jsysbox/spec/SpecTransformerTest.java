package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.linux.MountInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rewrite of a real Docker 20.10 config.json (docker run --runtime=runc -v /tmp:/hosttmp busybox sleep 60). */
class SpecTransformerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** This machine's bounding set: everything up to CAP_CHECKPOINT_RESTORE except CAP_SYS_RESOURCE. */
    private static final List<String> HOST_CAPS = Capabilities.namesOf(0x1fffeffffffL);

    private static final String RESOLV_CONF_SOURCE_PREFIX = "/var/lib/docker/containers/";

    private static final Prepare.Result PREPARED = new PreparedBuilder(
                    new HostRange(196608, 65536), new HostRange(262144, 65536))
            .specialMount("/var/lib/docker", "/var/lib/jsysbox/c/docker")
            .specialMount("/var/lib/containerd", "/var/lib/jsysbox/c/containerd")
            .replacement(7, "/run/jsysbox/mnt/3/b0")
            .rootfs("idmapped-overlay", "/run/jsysbox/mnt/3/rootfs")
            .build();

    static ObjectNode dockerSpec() throws IOException {
        try (InputStream in = SpecTransformerTest.class.getResourceAsStream("/docker-20.10-config.json")) {
            return (ObjectNode) JSON.readTree(in);
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    private static JsonNode mountAt(JsonNode spec, String destination) {
        for (JsonNode mount : spec.path("mounts")) {
            if (mount.path("destination").asText().equals(destination)) {
                return mount;
            }
        }
        throw new AssertionError("no mount at " + destination);
    }

    @Test
    void dockerSpecIsAccepted() throws Exception {
        SpecValidation.validate(dockerSpec(), PodRole.NONE, Set.of());
    }

    @Test
    void inputIsNotModified() throws Exception {
        ObjectNode spec = dockerSpec();
        SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of());
        assertEquals(dockerSpec(), spec);
    }

    @Test
    void addsUserAndCgroupNamespacesWithTheManagersRanges() throws Exception {
        JsonNode linux = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("linux");
        List<String> types = new ArrayList<>();
        linux.path("namespaces").forEach(ns -> types.add(ns.path("type").asText()));
        assertEquals(List.of("mount", "network", "uts", "pid", "ipc", "user", "cgroup"), types);
        assertEquals(
                "[{\"containerID\":0,\"hostID\":196608,\"size\":65536}]",
                linux.path("uidMappings").toString());
        assertEquals(
                "[{\"containerID\":0,\"hostID\":262144,\"size\":65536}]",
                linux.path("gidMappings").toString());
    }

    @Test
    void rootGetsTheHostsBoundingSetAndNothingBeyondIt() throws Exception {
        JsonNode caps = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("process")
                .path("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            assertEquals(HOST_CAPS, texts(caps.path(set)), set);
            assertTrue(texts(caps.path(set)).contains("CAP_SYS_ADMIN"), set);
            assertFalse(
                    texts(caps.path(set)).contains("CAP_SYS_RESOURCE"), set + " asks for a capability the host lacks");
        }
    }

    @Test
    void aProcessThatAsksToHonorTheEnginesCapabilitiesKeepsThem() throws Exception {
        for (String variable : List.of("JSYSBOX_HONOR_CAPS=true", "SYSBOX_HONOR_CAPS=TRUE")) {
            ObjectNode spec = dockerSpec();
            ObjectNode process = spec.withObjectProperty("process");
            process.withArrayProperty("env").add("PATH=/bin").add(variable);
            process.withObjectProperty("capabilities")
                    .set("effective", JSON.createArrayNode().add("CAP_CHOWN"));
            JsonNode caps = SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                    .path("process")
                    .path("capabilities");
            assertEquals(List.of("CAP_CHOWN"), texts(caps.path("effective")), variable);
            assertEquals(
                    texts(spec.path("process").path("capabilities").path("bounding")),
                    texts(caps.path("bounding")),
                    variable);
        }
        ObjectNode off = dockerSpec();
        off.withObjectProperty("process")
                .withArrayProperty("env")
                .add("JSYSBOX_HONOR_CAPS=false")
                .add("X_JSYSBOX_HONOR_CAPS=true");
        JsonNode caps = SpecTransformer.transform("c1", off, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("process")
                .path("capabilities");
        assertEquals(HOST_CAPS, texts(caps.path("effective")), "only =true, and only that name, keeps the engine's");
    }

    @Test
    void nonRootKeepsItsSetsUnderTheHostsBound() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("process").withObjectProperty("user").put("uid", 1000);
        JsonNode caps = SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("process")
                .path("capabilities");
        assertEquals(HOST_CAPS, texts(caps.path("bounding")));
        assertEquals(texts(spec.path("process").path("capabilities").path("effective")), texts(caps.path("effective")));
        assertEquals(14, caps.path("permitted").size());
    }

    @Test
    void seccompAllowsTheSystemContainerSyscallsUnconditionally() throws Exception {
        JsonNode before = dockerSpec().path("linux").path("seccomp");
        JsonNode seccomp = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("linux")
                .path("seccomp");
        assertEquals(before.path("defaultAction"), seccomp.path("defaultAction"));
        assertEquals(before.path("architectures"), seccomp.path("architectures"));
        ArrayNode rules = (ArrayNode) seccomp.path("syscalls");
        JsonNode allow = rules.get(rules.size() - 2);
        assertEquals(
                SpecTransformer.SYSTEM_CONTAINER_SYSCALLS.stream()
                        .filter(name -> !SpecTransformer.NOTIFIED_SYSCALLS.contains(name))
                        .toList(),
                texts(allow.path("names")),
                "mount is notified instead");
        assertEquals("SCMP_ACT_ALLOW", allow.path("action").asText());
        assertFalse(allow.has("args"));
        for (int i = 0; i < rules.size() - 2; i++) {
            JsonNode names = rules.get(i).path("names");
            assertFalse(names.isEmpty(), "rule " + i + " left empty");
            for (String name : texts(names)) {
                assertFalse(
                        SpecTransformer.SYSTEM_CONTAINER_SYSCALLS.contains(name),
                        name + " still in rule " + i + ": " + rules.get(i));
            }
        }
        // Docker's flag-conditioned clone, its ENOSYS clone3 and its ptrace rule were whole rules: all gone.
        assertEquals(before.path("syscalls").size() - 3 + 2, rules.size(), "plus the allow and the notify rule");
        // Everything else Docker allowed stays allowed.
        assertTrue(texts(rules.get(0).path("names")).contains("read"));
    }

    @Test
    void sysinfoAndMountGoToTheAgentAndNothingElse() throws Exception {
        assertTrue(
                texts(dockerSpec()
                                .path("linux")
                                .path("seccomp")
                                .path("syscalls")
                                .get(0)
                                .path("names"))
                        .contains("sysinfo"),
                "Docker's profile allows sysinfo, or this proves nothing");
        JsonNode seccomp = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("linux")
                .path("seccomp");
        assertEquals("/run/jsysbox/seccomp.sock", seccomp.path("listenerPath").asText());
        assertEquals("c1", seccomp.path("listenerMetadata").asText(), "the container's id");
        assertEquals(List.of(notifyRule()), notifyingRules(seccomp));
        ArrayNode rules = (ArrayNode) seccomp.path("syscalls");
        assertEquals(notifyRule(), rules.get(rules.size() - 1));
        for (int i = 0; i < rules.size() - 1; i++) {
            assertFalse(texts(rules.get(i).path("names")).contains("sysinfo"), "sysinfo still in rule " + i);
            assertFalse(texts(rules.get(i).path("names")).contains("mount"), "mount still in rule " + i);
        }
    }

    @Test
    void sysinfoLeavesEveryRuleThatNamedIt() throws Exception {
        ObjectNode spec = dockerSpec();
        ArrayNode rules =
                spec.withObjectProperty("linux").withObjectProperty("seccomp").withArrayProperty("syscalls");
        rules.addObject().put("action", "SCMP_ACT_ERRNO").set("names", JSON.valueToTree(List.of("sysinfo", "acct")));
        rules.addObject().put("action", "SCMP_ACT_LOG").set("names", JSON.valueToTree(List.of("sysinfo")));
        ArrayNode result =
                (ArrayNode) SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                        .path("linux")
                        .path("seccomp")
                        .path("syscalls");
        List<String> errnoRule = new ArrayList<>();
        for (JsonNode rule : result) {
            if (rule.path("action").asText().equals("SCMP_ACT_ERRNO")
                    && texts(rule.path("names")).contains("acct")) {
                errnoRule = texts(rule.path("names"));
            }
            assertNotEquals("SCMP_ACT_LOG", rule.path("action").asText(), "a rule left empty is dropped");
        }
        assertEquals(List.of("acct"), errnoRule);
    }

    @Test
    void specWithoutSeccompGetsAFilterThatOnlyNotifiesSysinfoAndMount() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("linux").remove("seccomp");
        ObjectNode transformed = SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of());
        JsonNode seccomp = transformed.path("linux").path("seccomp");
        assertEquals("SCMP_ACT_ALLOW", seccomp.path("defaultAction").asText());
        assertEquals(
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), texts(seccomp.path("architectures")));
        assertEquals(JSON.createArrayNode().add(notifyRule()), seccomp.path("syscalls"));
        assertEquals("/run/jsysbox/seccomp.sock", seccomp.path("listenerPath").asText());
        assertEquals("c1", seccomp.path("listenerMetadata").asText());
        assertEquals(
                transformed,
                SpecTransformer.transform("c1", transformed, PodRole.NONE, PREPARED, HOST_CAPS, List.of()),
                "transforming again changes nothing");
        assertFalse(SpecOriginal.of(transformed).path("linux").has("seccomp"), "the original has none");
    }

    @Test
    void aSpecWithItsOwnSeccompAgentKeepsIt() throws Exception {
        ObjectNode spec = dockerSpec();
        ObjectNode seccomp = spec.withObjectProperty("linux").withObjectProperty("seccomp");
        seccomp.put("listenerPath", "/run/their-agent.sock");
        seccomp.withArrayProperty("syscalls")
                .addObject()
                .put("action", "SCMP_ACT_NOTIFY")
                .set("names", JSON.valueToTree(List.of("mkdir")));
        JsonNode result = SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("linux")
                .path("seccomp");
        assertEquals("/run/their-agent.sock", result.path("listenerPath").asText(), "a filter has one listener");
        assertFalse(result.has("listenerMetadata"));
        assertEquals(
                List.of("mkdir"),
                notifyingRules(result).stream()
                        .flatMap(rule -> texts(rule.path("names")).stream())
                        .toList(),
                "their rules only: sysinfo stays the host's");
    }

    private static ObjectNode notifyRule() {
        ObjectNode rule = JSON.createObjectNode();
        rule.set("names", JSON.valueToTree(List.of("sysinfo", "mount", "umount2")));
        return rule.put("action", "SCMP_ACT_NOTIFY");
    }

    private static List<JsonNode> notifyingRules(JsonNode seccomp) {
        List<JsonNode> rules = new ArrayList<>();
        seccomp.path("syscalls").forEach(rule -> {
            if (rule.path("action").asText().equals("SCMP_ACT_NOTIFY")) {
                rules.add(rule);
            }
        });
        return rules;
    }

    @Test
    void sysfsAndCgroupfsBecomeWritableAndProcSysLeavesTheReadOnlyPaths() throws Exception {
        JsonNode spec = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of());
        assertEquals(
                List.of("nosuid", "noexec", "nodev"),
                texts(mountAt(spec, "/sys").path("options")));
        assertEquals(
                List.of("nosuid", "noexec", "nodev"),
                texts(mountAt(spec, "/sys/fs/cgroup").path("options")));
        assertEquals(
                List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sysrq-trigger"),
                texts(spec.path("linux").path("readonlyPaths")));
        assertEquals(
                dockerSpec().path("linux").path("maskedPaths"),
                spec.path("linux").path("maskedPaths"));
    }

    @Test
    void sharedInnerImageLayersAreBoundReadOnlyAfterTheSpecialMounts() throws Exception {
        String layer = "/var/lib/docker/overlay2/" + "a".repeat(64) + "/diff";
        Prepare.Result prepared = PreparedBuilder.from(PREPARED)
                .layerMount(layer, "/run/jsysbox/mnt/3/i0")
                .build();
        List<String> destinations = new ArrayList<>();
        JsonNode bound = null;
        for (JsonNode mount : SpecTransformer.transform(
                        "c1", dockerSpec(), PodRole.NONE, prepared, HOST_CAPS, List.of())
                .path("mounts")) {
            destinations.add(mount.path("destination").asText());
            if (mount.path("destination").asText().equals(layer)) {
                bound = mount;
            }
        }
        assertTrue(
                destinations.indexOf(layer) > destinations.indexOf("/var/lib/docker"),
                "the layer must be mounted inside /var/lib/docker");
        assertEquals("/run/jsysbox/mnt/3/i0", bound.path("source").asText());
        assertEquals(List.of("bind", "ro"), texts(bound.path("options")));
    }

    @Test
    void joiningAnOutsideNetworkNamespaceGetsTheHostSysfsReadOnly() throws Exception {
        assertEquals(
                "sysfs",
                mountAt(
                                SpecTransformer.transform(
                                        "c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of()),
                                "/sys")
                        .path("type")
                        .asText(),
                "a container with a network namespace of its own mounts its sysfs");
        ObjectNode spec = dockerSpec();
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            if (namespace.path("type").asText().equals("network")) {
                ((ObjectNode) namespace).put("path", "/var/run/netns/cni-1");
            }
        }
        JsonNode sys =
                mountAt(SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of()), "/sys");
        assertEquals("bind", sys.path("type").asText());
        assertEquals("/sys", sys.path("source").asText());
        assertTrue(texts(sys.path("options")).containsAll(List.of("rbind", "ro")), sys.toString());
    }

    @Test
    void aBindGetsTheFlagsItsSourceMountLocks() throws Exception {
        ObjectNode spec = dockerSpec();
        ObjectNode bind = (ObjectNode) spec.path("mounts").get(7); // /tmp -> /hosttmp
        ((ArrayNode) bind.path("options")).add("ro");
        bind.put("source", "/dev/shm/data");
        MountInfo mounts = MountInfo.parse("""
                1 0 254:0 / / rw,relatime - ext4 /dev/vda rw
                2 1 0:20 / /dev rw,nosuid - devtmpfs udev rw
                3 2 0:21 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw
                """);
        SpecTransformer.keepLockedMountFlags(spec, mounts);
        assertEquals(List.of("rbind", "rprivate", "ro", "nosuid", "nodev", "noexec"), texts(bind.path("options")));
        ObjectNode resolv = (ObjectNode) spec.path("mounts").get(8);
        List<String> before = texts(resolv.path("options"));
        SpecTransformer.keepLockedMountFlags(spec, MountInfo.parse("1 0 254:0 / / rw,relatime - ext4 /dev/vda rw\n"));
        assertEquals(before, texts(resolv.path("options")), "a source on a mount without locked flags is left alone");
    }

    @Test
    void aNegativeOomScoreIsDroppedAndAPositiveOneKept() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("process").put("oomScoreAdj", -998);
        assertFalse(SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("process")
                .has("oomScoreAdj"));
        spec.withObjectProperty("process").put("oomScoreAdj", 500);
        assertEquals(
                500,
                SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                        .path("process")
                        .path("oomScoreAdj")
                        .asInt());
    }

    @Test
    void theInnerImageCacheIsOffOnlyWhenTheEnvironmentSaysSo() throws Exception {
        ObjectNode spec = dockerSpec();
        assertFalse(PrepareRequests.innerImageCacheOff(OciSpec.of(spec)));
        ((ArrayNode) spec.path("process").path("env")).add("JSYSBOX_INNER_IMAGE_CACHE=off");
        assertTrue(PrepareRequests.innerImageCacheOff(OciSpec.of(spec)));
    }

    @Test
    void mountInterceptionOffLeavesMountAndUmountToTheKernelAndKeepsSysinfo() throws Exception {
        ObjectNode spec = dockerSpec();
        assertFalse(SpecTransformer.mountInterceptionOff(spec));
        ((ArrayNode) spec.path("process").path("env")).add("JSYSBOX_MOUNT_INTERCEPTION=off");
        assertTrue(SpecTransformer.mountInterceptionOff(spec));
        JsonNode seccomp = SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("linux")
                .path("seccomp");
        assertEquals(
                List.of("sysinfo"),
                notifyingRules(seccomp).stream()
                        .flatMap(rule -> texts(rule.path("names")).stream())
                        .toList());
    }

    @Test
    void specialMountsAreAppendedAndReplacementsSwapSources() throws Exception {
        JsonNode before = dockerSpec().path("mounts");
        JsonNode mounts = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("mounts");
        assertEquals(before.size() + 2, mounts.size(), "two special mounts");
        assertEquals(
                JSON.readTree(
                        "{\"destination\":\"/var/lib/docker\",\"type\":\"bind\",\"source\":\"/var/lib/jsysbox/c/docker\",\"options\":[\"rbind\",\"rw\"]}"),
                mounts.get(before.size()));
        assertEquals(
                "/var/lib/containerd",
                mounts.get(before.size() + 1).path("destination").asText());
        assertEquals("/hosttmp", mounts.get(7).path("destination").asText());
        assertEquals("/run/jsysbox/mnt/3/b0", mounts.get(7).path("source").asText());
        assertEquals(before.get(7).path("options"), mounts.get(7).path("options"));
        assertEquals(before.get(8), mounts.get(8));
    }

    @Test
    void rootPathIsTheManagersWhenItGivesOne() throws Exception {
        assertEquals(
                "/run/jsysbox/mnt/3/rootfs",
                SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                        .path("root")
                        .path("path")
                        .asText());
        Prepare.Result chowned =
                PreparedBuilder.from(PREPARED).rootfs("chown", "").build();
        assertEquals(
                dockerSpec().path("root"),
                SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, chowned, HOST_CAPS, List.of())
                        .path("root"));
    }

    @Test
    void pingGroupRangeIsCutToTheMappedGids() throws Exception {
        JsonNode sysctl = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("linux")
                .path("sysctl");
        assertEquals("0 65535", sysctl.path("net.ipv4.ping_group_range").asText());
        assertEquals("0", sysctl.path("net.ipv4.ip_unprivileged_port_start").asText());
    }

    @Test
    void unknownFieldsAndHooksAreKept() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.put("x-vendor", 42);
        spec.withObjectProperty("linux").put("x-future", "yes");
        JsonNode result = SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of());
        assertEquals(42, result.path("x-vendor").asInt());
        assertEquals("yes", result.path("linux").path("x-future").asText());
        assertEquals(spec.path("hooks"), result.path("hooks"));
        assertEquals(spec.path("linux").path("resources"), result.path("linux").path("resources"));
    }

    @Test
    void transformedSpecIsMarkedAndTransformingItAgainChangesNothing() throws Exception {
        ObjectNode once = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of());
        JsonNode annotations = once.path("annotations");
        assertEquals("true", annotations.path(SpecOriginal.TRANSFORMED).asText());
        assertEquals("196608:65536", annotations.path(SpecOriginal.UID_RANGE).asText());
        assertEquals("262144:65536", annotations.path(SpecOriginal.GID_RANGE).asText());
        assertEquals(once, SpecTransformer.transform("c1", once, PodRole.NONE, PREPARED, HOST_CAPS, List.of()));
    }

    @Test
    void originalUndoesTheRewrite() throws Exception {
        ObjectNode spec = dockerSpec();
        ObjectNode original =
                SpecOriginal.of(SpecTransformer.transform("c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of()));
        assertEquals(spec.path("root"), original.path("root"));
        assertEquals(spec.path("mounts"), original.path("mounts"));
        assertEquals(
                spec.path("linux").path("namespaces"), original.path("linux").path("namespaces"));
        assertFalse(original.path("linux").has("uidMappings"));
        assertTrue(original.path("annotations").isEmpty());
        SpecValidation.validate(original, PodRole.NONE, Set.of());
    }

    @Test
    void transformingAgainWithANewPreparationUsesTheOriginalSources() throws Exception {
        ObjectNode once = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of());
        Prepare.Result second = PreparedBuilder.from(PREPARED)
                .noReplacements()
                .noSpecialMounts()
                .rootfs("idmapped-overlay", "")
                .build();
        JsonNode twice = SpecTransformer.transform("c1", once, PodRole.NONE, second, HOST_CAPS, List.of());
        assertEquals(dockerSpec().path("root"), twice.path("root"));
        assertEquals("/tmp", twice.path("mounts").get(7).path("source").asText());
        assertEquals(dockerSpec().path("mounts").size(), twice.path("mounts").size(), "no mount added twice");
    }

    @Test
    void startedHookComesFirstAndIsDroppedFromTheOriginal() throws Exception {
        ObjectNode spec = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of());
        List<String> command =
                List.of("/jre/bin/java", "-cp", "/lib/*", "io.jsysbox.spec.Main", SpecOriginal.STARTED_HOOK_VERB);
        ObjectNode hooked = SpecOriginal.withStartedHook(spec, command, List.of("JSYSBOX_MGR_SOCKET=/tmp/m.sock"));
        JsonNode hook = hooked.path("hooks").path("createRuntime").get(0);
        assertEquals("/jre/bin/java", hook.path("path").asText());
        assertEquals(command, texts(hook.path("args")));
        assertEquals(List.of("JSYSBOX_MGR_SOCKET=/tmp/m.sock"), texts(hook.path("env")));
        assertEquals(dockerSpec().path("hooks"), SpecOriginal.of(hooked).path("hooks"));
    }

    @Test
    void bindMountsAreTheSpecsBindsByIndex() throws Exception {
        List<Prepare.BindMount> binds = PrepareRequests.bindMounts(OciSpec.of(dockerSpec()));
        assertEquals(
                List.of(7, 8, 9, 10),
                binds.stream().map(Prepare.BindMount::index).toList());
        assertEquals("/tmp", binds.getFirst().source());
        assertEquals("/hosttmp", binds.getFirst().destination());
        assertTrue(binds.get(1).source().startsWith(RESOLV_CONF_SOURCE_PREFIX));
        assertFalse(binds.getFirst().readOnly());
    }

    @Test
    void aReadOnlyBindIsMarkedForTheManager() throws Exception {
        ObjectNode spec = dockerSpec();
        ((ArrayNode) spec.path("mounts").get(7).path("options")).add("ro");
        assertTrue(PrepareRequests.bindMounts(OciSpec.of(spec)).getFirst().readOnly());
    }

    @Test
    void specialMountsSkipWhatTheUserMounted() throws Exception {
        assertEquals(
                PrepareRequests.SPECIAL_MOUNT_DESTINATIONS,
                PrepareRequests.specialMountsWanted(OciSpec.of(dockerSpec())));
        ObjectNode spec = dockerSpec();
        ArrayNode mounts = spec.withArrayProperty("mounts");
        mounts.addObject()
                .put("destination", "/var/lib/docker/")
                .put("type", "bind")
                .put("source", "/srv/docker");
        mounts.addObject()
                .put("destination", "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs")
                .put("type", "bind")
                .put("source", "/srv/x");
        mounts.addObject()
                .put("destination", "/var/lib/rancher")
                .put("type", "bind")
                .put("source", "/srv/rancher");
        assertEquals(
                List.of("/var/lib/containers", "/var/lib/kubelet", "/var/lib/buildkit"),
                PrepareRequests.specialMountsWanted(OciSpec.of(spec)));
    }

    @Test
    void rootfsIsResolvedAgainstTheBundle() throws Exception {
        ObjectNode spec = dockerSpec();
        assertEquals(
                Path.of(spec.path("root").path("path").asText()),
                PrepareRequests.rootfs(OciSpec.of(spec), Path.of("/b")));
        spec.withObjectProperty("root").put("path", "rootfs");
        assertEquals(Path.of("/b/rootfs"), PrepareRequests.rootfs(OciSpec.of(spec), Path.of("/b")));
    }

    // --- rejected specs ---

    private static String rejection(ObjectNode spec) {
        return assertThrows(JsysboxException.class, () -> SpecValidation.validate(spec, PodRole.NONE, Set.of()))
                .getMessage();
    }

    /** What docker run --privileged produces: every capability, nothing masked or read-only. */
    @Test
    void privilegedIsRejected() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("process")
                .withObjectProperty("capabilities")
                .withArrayProperty("bounding")
                .add("CAP_SYS_ADMIN");
        spec.withObjectProperty("linux").remove("maskedPaths");
        spec.withObjectProperty("linux").set("readonlyPaths", JSON.createArrayNode());
        String message = rejection(spec);
        assertTrue(message.startsWith("--privileged is not supported"), message);
        assertTrue(message.endsWith("drop --privileged"), message);
    }

    @Test
    void capAddSysAdminAloneIsNotPrivileged() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("process")
                .withObjectProperty("capabilities")
                .withArrayProperty("bounding")
                .add("CAP_SYS_ADMIN");
        SpecValidation.validate(spec, PodRole.NONE, Set.of());
    }

    @Test
    void hostNamespacesAreRejectedNamingDockersFlag() throws Exception {
        for (var typeAndFlag : List.of(
                List.of("pid", "--pid=host"),
                List.of("network", "--network=host"),
                List.of("ipc", "--ipc=host"),
                List.of("uts", "--uts=host"))) {
            ObjectNode spec = dockerSpec();
            ArrayNode namespaces = spec.withObjectProperty("linux").withArrayProperty("namespaces");
            for (int i = namespaces.size() - 1; i >= 0; i--) {
                if (namespaces.get(i).path("type").asText().equals(typeAndFlag.get(0))) {
                    namespaces.remove(i);
                }
            }
            String message = rejection(spec);
            assertTrue(message.startsWith(typeAndFlag.get(1) + " is not supported"), message);
        }
    }

    /** docker --network=host keeps the network namespace but names the host's by path. */
    @Test
    void joiningTheHostsNetworkNamespaceIsRejectedNamingDockersFlag() throws Exception {
        ObjectNode spec = dockerSpec();
        ((ObjectNode) spec.path("linux").path("namespaces").get(1)).put("path", "/var/run/docker/netns/default");
        String message = assertThrows(
                        JsysboxException.class, () -> SpecValidation.validate(spec, PodRole.NONE, Set.of("network")))
                .getMessage();
        assertTrue(message.startsWith("--network=host is not supported"), message);
        SpecValidation.validate(spec, PodRole.NONE, Set.of());
    }

    @Test
    void missingMountNamespaceIsRejected() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("linux").withArrayProperty("namespaces").remove(0);
        assertTrue(rejection(spec).contains("no mount namespace"));
    }

    @Test
    void joiningAUserNamespaceIsRejected() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("linux")
                .withArrayProperty("namespaces")
                .addObject()
                .put("type", "user")
                .put("path", "/proc/1/ns/user");
        assertTrue(rejection(spec).contains("/proc/1/ns/user"));
    }

    @Test
    void existingMappingsAreRejected() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withObjectProperty("linux")
                .withArrayProperty("namespaces")
                .addObject()
                .put("type", "user");
        spec.withObjectProperty("linux")
                .set("uidMappings", JSON.readTree("[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]"));
        assertTrue(rejection(spec).contains("userns-remap"));
    }

    @Test
    void specWithoutRootOrProcessIsRejected() throws Exception {
        ObjectNode noRoot = dockerSpec();
        noRoot.remove("root");
        assertTrue(rejection(noRoot).contains("root.path"));
        ObjectNode noProcess = dockerSpec();
        noProcess.remove("process");
        assertTrue(rejection(noProcess).contains("no process"));
    }

    @Test
    void runcSpecBundleIsAccepted() throws Exception {
        // `runc spec` (1.1): terminal process, its own cgroup namespace, no seccomp.
        ObjectNode spec = (ObjectNode) JSON.readTree("""
                {"ociVersion":"1.0.2-dev","process":{"terminal":true,"user":{"uid":0,"gid":0},"args":["sh"],
                 "capabilities":{"bounding":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]}},
                 "root":{"path":"rootfs","readonly":true},
                 "mounts":[{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]}],
                 "linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}],
                 "maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"]}}""");
        SpecValidation.validate(spec, PodRole.NONE, Set.of());
        JsonNode result = SpecTransformer.transform(
                "c1",
                spec,
                PodRole.NONE,
                PreparedBuilder.from(PREPARED).noReplacements().build(),
                HOST_CAPS,
                List.of());
        assertEquals(7, result.path("linux").path("namespaces").size());
        assertEquals(
                List.of("nosuid", "noexec", "nodev"),
                texts(mountAt(result, "/sys").path("options")));
    }

    @Test
    void kernelDebugFileSystemsGetAnEmptyReadOnlyPlaceholderUnlessTheUserMountedOne() throws Exception {
        ObjectNode spec = dockerSpec();
        spec.withArrayProperty("mounts")
                .addObject()
                .put("destination", "/sys/kernel/tracing")
                .put("type", "bind")
                .put("source", "/srv/trace");
        JsonNode result = SpecTransformer.transform(
                "c1", spec, PodRole.NONE, PREPARED, HOST_CAPS, List.of("/sys/kernel/debug", "/sys/kernel/tracing"));
        JsonNode debug = mountAt(result, "/sys/kernel/debug");
        assertEquals("tmpfs", debug.path("type").asText());
        assertTrue(texts(debug.path("options")).contains("ro"), debug.toString());
        assertEquals(
                "bind", mountAt(result, "/sys/kernel/tracing").path("type").asText(), "the user's own mount is kept");
        assertEquals(spec.path("mounts"), SpecOriginal.of((ObjectNode) result).path("mounts"), "undone by original()");
    }

    @Test
    void managerDeviceNodesAreBoundAndAllowedAfterDockersRules() throws Exception {
        var prepared = PreparedBuilder.from(PREPARED)
                .deviceNode(new Prepare.DeviceNode("/dev/fuse", "/run/jsysbox/dev/3/fuse", 10, 229, false))
                .build();
        JsonNode result = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, prepared, HOST_CAPS, List.of());
        assertEquals(
                "/run/jsysbox/dev/3/fuse",
                mountAt(result, "/dev/fuse").path("source").asText());
        JsonNode rules = result.path("linux").path("resources").path("devices");
        JsonNode last = rules.get(rules.size() - 1);
        assertEquals(
                List.of(true, 229),
                List.of(last.path("allow").asBoolean(), last.path("minor").asInt()),
                "allowing /dev/fuse comes after Docker's deny: " + rules);
    }

    @Test
    void noProcfsButTheContainersOwn() throws Exception {
        JsonNode mounts = SpecTransformer.transform("c1", dockerSpec(), PodRole.NONE, PREPARED, HOST_CAPS, List.of())
                .path("mounts");
        List<String> procfs = new ArrayList<>();
        mounts.forEach(mount -> {
            if (mount.path("type").asText().equals("proc")) {
                procfs.add(mount.path("destination").asText());
            }
        });
        assertEquals(List.of("/proc"), procfs, "a procfs without the virtual files would show the host's");
    }
}
