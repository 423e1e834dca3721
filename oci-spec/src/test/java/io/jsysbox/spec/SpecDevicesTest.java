package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Devices of a Docker 20.10 spec as {@code docker run --device /dev/kvm:/dev/mykvm:r} writes them: linux.devices from
 * the host node (path = the container's), the user's r/w/m in a device cgroup rule.
 */
class SpecDevicesTest {
    private static final HostRange RANGE = new HostRange(196608, 65536);
    private static final Prepare.DeviceNode MYKVM =
            new Prepare.DeviceNode("/dev/mykvm", "/run/jsysbox/dev/3/device-0", 10, 232, true);
    private static final Prepare.DeviceNode OWN_FUSE =
            new Prepare.DeviceNode("/dev/fuse", "/run/jsysbox/dev/3/fuse", 10, 229, false);

    /** Docker's spec with {@code --device /dev/kvm:/dev/mykvm:r} (host node c 10:232, 0600, root:root). */
    private static ObjectNode withKvm() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        addDevice(spec, "/dev/mykvm", "c", 10, 232).put("fileMode", 0600);
        spec.withObjectProperty("linux")
                .withObjectProperty("resources")
                .withArrayProperty("devices")
                .addObject()
                .put("allow", true)
                .put("type", "c")
                .put("major", 10)
                .put("minor", 232)
                .put("access", "r");
        return spec;
    }

    private static ObjectNode addDevice(ObjectNode spec, String path, String type, long major, long minor) {
        return spec.withObjectProperty("linux")
                .withArrayProperty("devices")
                .addObject()
                .put("path", path)
                .put("type", type)
                .put("major", major)
                .put("minor", minor)
                .put("fileMode", 0666)
                .put("uid", 0)
                .put("gid", 0);
    }

    private static ObjectNode transform(ObjectNode spec, Prepare.DeviceNode... nodes) {
        PreparedBuilder builder = new PreparedBuilder(RANGE, RANGE);
        List.of(nodes).forEach(builder::deviceNode);
        Prepare.Result prepared = builder.build();
        return SpecTransformer.transform("c1", spec, PodRole.NONE, prepared, List.of("CAP_CHOWN"), List.of());
    }

    private static List<JsonNode> mountsAt(JsonNode spec, String destination) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode mount : spec.path("mounts")) {
            if (mount.path("destination").asText().equals(destination)) {
                found.add(mount);
            }
        }
        return found;
    }

    private static String failure(ObjectNode spec) {
        String message = assertThrows(JsysboxException.class, () -> SpecDevices.requested(spec))
                .getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }

    @Test
    void dockersDeviceIsAskedForWithTheHostNodesModeAndOwner() throws Exception {
        assertEquals(
                List.of(new Prepare.RequestedDevice("/dev/mykvm", false, 10, 232, 0600, 0, 0)),
                SpecDevices.requested(withKvm()));
        assertEquals(List.of(), SpecDevices.requested(SpecTransformerTest.dockerSpec()), "no --device: none");
    }

    @Test
    void entriesAreReadAsRuncReadsThem() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        addDevice(spec, "/dev/dri/renderD128", "c", 226, 128)
                .put("fileMode", 020660)
                .put("gid", 108);
        addDevice(spec, "/dev/loop0", "b", 7, 0);
        addDevice(spec, "/dev//unbuffered/./x", "u", 10, 200);
        spec.withObjectProperty("linux")
                .withArrayProperty("devices")
                .addObject()
                .put("path", "/dev/bare")
                .put("type", "c")
                .put("major", 10)
                .put("minor", 1);
        addDevice(spec, "/dev/loop0", "b", 7, 0);
        List<Prepare.RequestedDevice> devices = SpecDevices.requested(spec);
        assertEquals(
                List.of(
                        "/dev/dri/renderD128 false 0660 0:108",
                        "/dev/loop0 true 0666 0:0",
                        "/dev/unbuffered/x false 0666 0:0",
                        "/dev/bare false 0666 0:0"),
                devices.stream()
                        .map(d -> d.path() + " " + d.block() + " 0" + Long.toOctalString(d.fileMode()) + " " + d.uid()
                                + ":" + d.gid())
                        .toList(),
                "file type bits dropped, u is a character device, runc's defaults (0666, root), a repeat once");
    }

    @Test
    void runcsOwnNodesStayRuncsAndAnotherDeviceAtTheirPathIsRefused() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        addDevice(spec, "/dev/null", "c", 1, 3);
        assertEquals(List.of(), SpecDevices.requested(spec));
        ObjectNode transformed = transform(spec);
        assertEquals(1, transformed.path("linux").path("devices").size(), "left for runc to make");
        assertEquals(List.of(), mountsAt(transformed, "/dev/null"));

        ObjectNode other = SpecTransformerTest.dockerSpec();
        addDevice(other, "/dev/null", "c", 10, 232);
        assertEquals(
                "device /dev/null (c 10:232): runc makes /dev/null itself (c 1:3): give the device another path",
                failure(other));
    }

    @ParameterizedTest(name = "{0} {1} {2}:{3}")
    @CsvSource(
            delimiter = '|',
            value = {
                "/mykvm          | c | 10 | 232 | device /mykvm (c 10:232): its path in the container must be",
                "/dev/../etc/kvm | c | 10 | 232 | (no '..')",
                "/dev/myfifo     | p | 0  | 0   | device /dev/myfifo of config.json (linux.devices) is a fifo",
                "/dev/x          | x | 1  | 1   | has type 'x': give c",
                "/dev/x          | c | 0  | 0   | major number is 1-4095"
            })
    void badEntriesFailWithOneLineNamingTheDeviceAndWhatToDo(
            String path, String type, long major, long minor, String expected) throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        addDevice(spec, path, type, major, minor);
        assertTrue(failure(spec).contains(expected), failure(spec));
    }

    @Test
    void anEntryWithoutNumbersOrAPathGivenTwiceFails() throws Exception {
        ObjectNode noNumbers = SpecTransformerTest.dockerSpec();
        addDevice(noNumbers, "/dev/x", "c", 1, 1).remove("minor");
        assertTrue(failure(noNumbers).contains("has no major and minor numbers"), failure(noNumbers));
        ObjectNode twice = SpecTransformerTest.dockerSpec();
        addDevice(twice, "/dev/x", "c", 10, 232);
        addDevice(twice, "/dev/x", "c", 10, 200);
        assertTrue(failure(twice).contains("is asked for twice"), failure(twice));
    }

    @Test
    void aRequestedNodeReplacesItsEntryAndIsBoundWhileTheUsersCgroupRuleStays() throws Exception {
        ObjectNode spec = withKvm();
        JsonNode rulesBefore =
                spec.path("linux").path("resources").path("devices").deepCopy();
        ObjectNode result = transform(spec, MYKVM, OWN_FUSE);

        assertEquals(0, result.path("linux").path("devices").size(), "runc would bind the host's node from /dev/mykvm");
        List<JsonNode> binds = mountsAt(result, "/dev/mykvm");
        assertEquals(1, binds.size());
        assertEquals(
                "/run/jsysbox/dev/3/device-0", binds.getFirst().path("source").asText());
        assertEquals("bind", binds.getFirst().path("type").asText());
        List<String> options = new ArrayList<>();
        binds.getFirst().path("options").forEach(option -> options.add(option.asText()));
        assertEquals(List.of("bind", "rw", "nosuid", "noexec"), options, "not nodev: the node must open");

        JsonNode rules = result.path("linux").path("resources").path("devices");
        for (int i = 0; i < rulesBefore.size(); i++) {
            assertEquals(rulesBefore.get(i), rules.get(i), "rule " + i);
        }
        assertEquals(rulesBefore.size() + 1, rules.size(), "only the manager's own /dev/fuse gets a rule: " + rules);
        assertEquals(229, rules.get(rules.size() - 1).path("minor").asInt());

        assertEquals(
                spec.path("linux").path("devices").toString(),
                SpecOriginal.of(result).path("linux").path("devices").toString(),
                "original() brings the entries back for a second rewrite");
        ObjectNode again = transform(result, MYKVM, OWN_FUSE);
        assertEquals(result.path("mounts"), again.path("mounts"), "a second rewrite (create again) binds the same");
        assertEquals(result.path("linux").path("devices"), again.path("linux").path("devices"));
    }

    @Test
    void aManagerThatMadeNoNodeForAnEntryLeavesItToRunc() throws Exception {
        ObjectNode result = transform(withKvm(), OWN_FUSE);
        assertEquals(1, result.path("linux").path("devices").size());
        assertEquals(List.of(), mountsAt(result, "/dev/mykvm"));
    }

    @Test
    void aUsersFuseDeviceTakesThePlaceOfTheManagersOwn() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        addDevice(spec, "/dev/fuse", "c", 10, 229);
        Prepare.DeviceNode usersFuse =
                new Prepare.DeviceNode("/dev/fuse", "/run/jsysbox/dev/3/device-0", 10, 229, true);
        ObjectNode result = transform(spec, usersFuse);
        assertEquals(1, mountsAt(result, "/dev/fuse").size());
        JsonNode rules = result.path("linux").path("resources").path("devices");
        assertEquals(
                SpecTransformerTest.dockerSpec().path("linux").path("resources").path("devices"),
                rules,
                "no rule added: Docker's deny of /dev/fuse stands unless the user's rule allows it");
        // An old manager's own node at a path the user's device takes is not bound over it.
        ObjectNode withOldManager = transform(spec, OWN_FUSE);
        assertEquals(List.of(), mountsAt(withOldManager, "/dev/fuse"));
    }
}
