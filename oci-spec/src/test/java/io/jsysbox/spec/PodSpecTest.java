package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Kubernetes pods: what the CRI's annotations make of a spec, and how a pod's sandbox and containers are rewritten. */
class PodSpecTest {
    private static final String CRI_NETNS = "/var/run/netns/cni-1234";
    private static final HostRange RANGE = new HostRange(196608, 65536);
    private static final Prepare.Result SANDBOX_PREPARED = new PreparedBuilder(RANGE, RANGE).build();
    private static final Prepare.Result MEMBER_PREPARED =
            PreparedBuilder.from(SANDBOX_PREPARED).userNamespacePid(4242).build();

    /** The Docker spec made to look like what containerd's CRI writes for a pod's sandbox or container. */
    private static ObjectNode podSpec(String type, String networkPath) throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        spec.withObjectProperty("annotations")
                .put("io.kubernetes.cri.container-type", type)
                .put("io.kubernetes.cri.sandbox-id", "sandbox-1");
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            if (namespace.path("type").asText().equals("network")) {
                ((ObjectNode) namespace).put("path", networkPath);
            }
        }
        return spec;
    }

    private static JsonNode namespace(JsonNode spec, String type) {
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            if (namespace.path("type").asText().equals(type)) {
                return namespace;
            }
        }
        throw new AssertionError(
                "no " + type + " namespace in " + spec.path("linux").path("namespaces"));
    }

    private static JsonNode sysMount(JsonNode spec) {
        for (JsonNode mount : spec.path("mounts")) {
            if (mount.path("destination").asText().equals("/sys")) {
                return mount;
            }
        }
        throw new AssertionError("no /sys mount");
    }

    @Test
    void rolesComeFromContainerdsAndCriOsAnnotations() throws Exception {
        assertEquals(PodRole.NONE, PodRole.of(SpecTransformerTest.dockerSpec()));
        assertTrue(PodRole.of(podSpec("sandbox", CRI_NETNS)).isSandbox());
        assertEquals(
                new PodRole(PodRole.Kind.CONTAINER, "sandbox-1"),
                PodRole.of(podSpec("container", "/proc/4242/ns/net")));
        ObjectNode crio = SpecTransformerTest.dockerSpec();
        crio.withObjectProperty("annotations")
                .put("io.kubernetes.cri-o.ContainerType", "container")
                .put("io.kubernetes.cri-o.SandboxID", "crio-sandbox");
        assertEquals(new PodRole(PodRole.Kind.CONTAINER, "crio-sandbox"), PodRole.of(crio));
    }

    @Test
    void aPodContainerWithoutItsSandboxOrOfAnUnknownTypeIsRefused() throws Exception {
        ObjectNode orphan = podSpec("container", "/proc/4242/ns/net");
        orphan.withObjectProperty("annotations").remove("io.kubernetes.cri.sandbox-id");
        assertTrue(assertThrows(JsysboxException.class, () -> PodRole.of(orphan))
                .getMessage()
                .contains("names no sandbox"));
        assertTrue(assertThrows(JsysboxException.class, () -> PodRole.of(podSpec("podman", CRI_NETNS)))
                .getMessage()
                .contains("unknown pod container type 'podman'"));
    }

    @Test
    void theSandboxGetsItsOwnNetworkNamespaceAndMountsItsSysfs() throws Exception {
        ObjectNode spec = podSpec("sandbox", CRI_NETNS);
        assertEquals(Optional.of(CRI_NETNS), OciSpec.of(spec).joinedNamespace("network"));
        JsonNode transformed =
                SpecTransformer.transform("c1", spec, PodRole.of(spec), SANDBOX_PREPARED, List.of(), List.of());
        assertFalse(namespace(transformed, "network").has("path"), "the sandbox must not join the CRI's namespace");
        assertFalse(namespace(transformed, "user").has("path"), "the sandbox makes the pod's user namespace");
        assertEquals("sysfs", sysMount(transformed).path("type").asText());
        ObjectNode original = SpecOriginal.of((ObjectNode) transformed);
        assertEquals(
                CRI_NETNS,
                SpecTransformer.networkToAdopt(original, PodRole.of(original)),
                "the original namespace must be recoverable (run's hook adopts it from there)");
        assertEquals("", SpecTransformer.networkToAdopt(original, PodRole.NONE), "only a sandbox adopts a network");
    }

    @Test
    void onlyThePodsContainersGetSpecialMounts() throws Exception {
        ObjectNode sandbox = podSpec("sandbox", CRI_NETNS);
        ObjectNode member = podSpec("container", "/proc/4242/ns/net");
        Path bundle = Path.of("/b");
        assertEquals(
                List.of(),
                PrepareRequests.of("s1", bundle, sandbox, PodRole.of(sandbox), List.of())
                        .specialMounts(),
                "a pause process needs no /var/lib/docker");
        assertEquals(
                PrepareRequests.specialMountsWanted(OciSpec.of(member)),
                PrepareRequests.of("c1", bundle, member, PodRole.of(member), List.of())
                        .specialMounts());
        assertFalse(PrepareRequests.specialMountsWanted(OciSpec.of(member)).isEmpty());
    }

    @Test
    void aPodContainerJoinsTheSandboxsUserNamespaceWithItsRange() throws Exception {
        ObjectNode spec = podSpec("container", "/proc/4242/ns/net");
        JsonNode transformed =
                SpecTransformer.transform("c1", spec, PodRole.of(spec), MEMBER_PREPARED, List.of(), List.of());
        assertEquals(
                "/proc/4242/ns/user",
                namespace(transformed, "user").path("path").asText());
        assertEquals(
                "/proc/4242/ns/net",
                namespace(transformed, "network").path("path").asText());
        assertEquals(
                196608,
                transformed
                        .path("linux")
                        .path("uidMappings")
                        .get(0)
                        .path("hostID")
                        .asLong(),
                "runc needs the mappings to own the rootfs and /dev for the joined namespace's root");
        assertEquals(
                "sysfs",
                sysMount(transformed).path("type").asText(),
                "the pod's user namespace owns the pod's network namespace: its sysfs mounts");
    }

    @Test
    void crioPinnedNamespacesAreReplacedByThePods() throws Exception {
        ObjectNode sandbox = podSpec("sandbox", CRI_NETNS);
        ((ObjectNode) namespace(sandbox, "ipc")).put("path", "/var/run/ipcns/1234");
        ((ObjectNode) namespace(sandbox, "uts")).put("path", "/var/run/utsns/1234");
        JsonNode ownNamespaces =
                SpecTransformer.transform("c1", sandbox, PodRole.of(sandbox), SANDBOX_PREPARED, List.of(), List.of());
        for (String type : List.of("network", "ipc", "uts")) {
            assertFalse(
                    namespace(ownNamespaces, type).has("path"),
                    type + ": the sandbox makes it in the pod's user namespace");
        }
        ObjectNode member = podSpec("container", CRI_NETNS);
        ((ObjectNode) namespace(member, "ipc")).put("path", "/var/run/ipcns/1234");
        JsonNode joined =
                SpecTransformer.transform("c1", member, PodRole.of(member), MEMBER_PREPARED, List.of(), List.of());
        assertEquals(
                "/proc/4242/ns/net", namespace(joined, "network").path("path").asText());
        assertEquals("/proc/4242/ns/ipc", namespace(joined, "ipc").path("path").asText());
        assertFalse(namespace(joined, "uts").has("path"), "a namespace the container makes itself stays its own");
        assertFalse(namespace(joined, "pid").has("path"));
    }

    @Test
    void theNamespacesASpecJoinsAreAskedAbout() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        assertEquals(List.of(), PrepareRequests.joinedNamespacePaths(OciSpec.of(spec)));
        ((ObjectNode) namespace(spec, "network")).put("path", "/proc/777/ns/net");
        ((ObjectNode) namespace(spec, "pid")).put("path", "/proc/777/ns/pid");
        ((ObjectNode) namespace(spec, "mount")).put("path", "/proc/777/ns/mnt");
        assertEquals(
                List.of("/proc/777/ns/net", "/proc/777/ns/pid"),
                PrepareRequests.joinedNamespacePaths(OciSpec.of(spec)));
        JsonNode joined = SpecTransformer.transform("c1", spec, PodRole.NONE, MEMBER_PREPARED, List.of(), List.of());
        assertEquals(
                "/proc/4242/ns/user", namespace(joined, "user").path("path").asText());
        assertEquals(
                "/proc/777/ns/pid",
                namespace(joined, "pid").path("path").asText(),
                "a PID namespace joined stays the one asked for");
    }

    @Test
    void aContainerJoiningAnotherNetworkNamespaceGetsTheHostsSysfsReadOnly() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        ((ObjectNode) namespace(spec, "network")).put("path", "/proc/777/ns/net");
        JsonNode sys =
                sysMount(SpecTransformer.transform("c1", spec, PodRole.NONE, SANDBOX_PREPARED, List.of(), List.of()));
        assertEquals("bind", sys.path("type").asText());
        assertTrue(sys.path("options").toString().contains("\"ro\""), sys.toString());
    }

    @Test
    void aPrivilegedPodIsRefusedInThePodsTerms() throws Exception {
        ObjectNode spec = podSpec("sandbox", CRI_NETNS);
        spec.withObjectProperty("process")
                .withObjectProperty("capabilities")
                .withArrayProperty("bounding")
                .add("CAP_SYS_ADMIN");
        spec.withObjectProperty("linux").remove(List.of("maskedPaths", "readonlyPaths"));
        String message = assertThrows(
                        JsysboxException.class, () -> SpecValidation.validate(spec, PodRole.of(spec), Set.of()))
                .getMessage();
        assertTrue(message.contains("securityContext.privileged: true"), message);
    }

    @Test
    void aHostNetworkPodIsRefusedInThePodsTerms() throws Exception {
        ObjectNode spec = podSpec("sandbox", CRI_NETNS);
        String message = assertThrows(
                        JsysboxException.class,
                        () -> SpecValidation.validate(spec, PodRole.of(spec), Set.of("network")))
                .getMessage();
        assertTrue(message.contains("hostNetwork: true") && message.contains("runtime class"), message);
    }
}
