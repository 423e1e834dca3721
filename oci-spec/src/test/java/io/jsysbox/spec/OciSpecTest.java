package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OciSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsNameTheSpecsPartsAndCreateNothing() throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree("""
                {"root": {"path": "rootfs"},
                 "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/run/netns/x"}]},
                 "mounts": [{"destination": "proc/", "type": "proc"}, "not a mount",
                            {"destination": "/data", "type": "none", "source": "/srv", "options": ["rbind", "ro"]}],
                 "process": {"env": ["A=1", "JSYSBOX_INNER_IMAGE_CACHE=off"]}}
                """);
        String before = json.toString();
        OciSpec spec = OciSpec.of(json);

        assertEquals(Optional.of("rootfs"), spec.rootPath());
        assertTrue(spec.namespace("pid").isPresent());
        assertEquals(Optional.empty(), spec.namespace("user"));
        assertEquals(Optional.empty(), spec.joinedNamespace("pid"), "made, not joined");
        assertEquals(Optional.of("/run/netns/x"), spec.joinedNamespace("network"));
        List<OciSpec.Mount> mounts = spec.mounts();
        assertEquals(List.of(0, 2), mounts.stream().map(OciSpec.Mount::index).toList(), "indexes in the array");
        assertEquals(Path.of("/proc"), mounts.get(0).destination());
        assertFalse(mounts.get(0).isBind());
        assertTrue(mounts.get(1).isBind(), "rbind in the options is a bind, whatever its type");
        assertTrue(mounts.get(1).hasOption("ro"));
        assertTrue(spec.hasEnvironmentEntry("JSYSBOX_INNER_IMAGE_CACHE=off"));
        assertFalse(spec.hasEnvironmentEntry("A=2"));
        assertEquals(Optional.empty(), OciSpec.of(JSON.createObjectNode()).rootPath());
        assertEquals(before, json.toString(), "reading created nothing");
    }

    @Test
    void writesGoThroughToTheTreeAndKeepWhatTheViewDoesNotName() throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree("""
                {"x-vendor": {"a": 1}, "mounts": [{"destination": "/d", "x-mount": true}]}
                """);
        OciSpec spec = OciSpec.of(json);
        spec.setRootPath("/new");
        spec.mounts().getFirst().optionsToWrite().add("ro");
        spec.linuxToWrite().put("x-linux", "kept");

        assertEquals(JSON.readTree("""
                        {"x-vendor": {"a": 1}, "mounts": [{"destination": "/d", "x-mount": true, "options": ["ro"]}],
                         "root": {"path": "/new"}, "linux": {"x-linux": "kept"}}
                        """), json);
    }
}
