package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.spec.Prepare.DeviceNode;
import io.jsysbox.spec.Prepare.RequestedDevice;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The device nodes of a system container's spec (pure). runc in a user namespace cannot make device nodes: it
 * bind-mounts the host's, from the path the device has inside the container (so --device /dev/kvm:/dev/mykvm fails),
 * and the host's node belongs to ids the container does not map (so its root cannot open /dev/kvm, mode 0600). The
 * manager makes each node the spec asks for (linux.devices), owned by the container's ids, and the runtime binds it in
 * instead; the device cgroup rules stay the spec's, with the user's r/w/m.
 */
public final class SpecDevices {
    /**
     * The nodes runc makes in every container, by path (runc's specconv AllowedDevices). A spec's entry at one of these
     * paths is left to runc, which then makes it from that entry and drops its own node and device cgroup rule: taking
     * it would bring runc's node back on top of ours, and its rwm rule with it.
     */
    private static final Map<String, String> RUNC_DEFAULTS = Map.of(
            "/dev/null",
            "c 1:3",
            "/dev/zero",
            "c 1:5",
            "/dev/full",
            "c 1:7",
            "/dev/random",
            "c 1:8",
            "/dev/urandom",
            "c 1:9",
            "/dev/tty",
            "c 5:0");
    /** The file type bits a fileMode may carry; runc drops them too. */
    private static final long FILE_TYPE_BITS = 0170000;
    /** runc's defaults for what an entry leaves out. */
    private static final long DEFAULT_FILE_MODE = 0666;

    private SpecDevices() {}

    /**
     * The devices of the spec's linux.devices for the manager to make: all but those runc makes itself, a repeated
     * entry once. Fails with one line naming the device and what to do.
     */
    static List<RequestedDevice> requested(JsonNode spec) throws JsysboxException {
        List<RequestedDevice> devices = new ArrayList<>();
        for (JsonNode entry : spec.path("linux").path("devices")) {
            RequestedDevice device = parse(entry);
            String runcOwn = RUNC_DEFAULTS.get(device.path());
            if (runcOwn != null && runcOwn.equals(numbers(device))) {
                continue;
            }
            if (runcOwn != null) {
                throw new JsysboxException(RequestedDevices.describe(device) + ": runc makes " + device.path()
                        + " itself (" + runcOwn + "): give the device another path");
            }
            if (!devices.contains(device)) {
                devices.add(device);
            }
        }
        try {
            RequestedDevices.check(devices);
        } catch (IllegalArgumentException e) {
            throw new JsysboxException(e.getMessage(), e);
        }
        return devices;
    }

    private static RequestedDevice parse(JsonNode entry) throws JsysboxException {
        String path = normalized(entry.path("path").asText(""));
        String what = "device " + path + " of config.json (linux.devices)";
        boolean block = switch (entry.path("type").asText("")) {
            case "c", "u" -> false;
            case "b" -> true;
            case "p" ->
                throw new JsysboxException(what + " is a fifo: jsysbox makes character and block devices only;"
                        + " bind-mount the fifo instead (-v)");
            default ->
                throw new JsysboxException(
                        what + " has type '" + entry.path("type").asText("")
                                + "': give c (character), u (unbuffered character) or b (block)");
        };
        if (!entry.path("major").isIntegralNumber() || !entry.path("minor").isIntegralNumber()) {
            throw new JsysboxException(what + " has no major and minor numbers: give those of the host's node (ls -l)");
        }
        long fileMode = entry.has("fileMode") ? entry.path("fileMode").asLong() & ~FILE_TYPE_BITS : DEFAULT_FILE_MODE;
        return new RequestedDevice(
                path,
                block,
                entry.path("major").asLong(),
                entry.path("minor").asLong(),
                fileMode,
                entry.path("uid").asLong(0),
                entry.path("gid").asLong(0));
    }

    /**
     * {@code path} without "." components, doubled or trailing slashes; one with a ".." component, or that is no path,
     * as it is, for {@link RequestedDevices#check} to refuse.
     */
    private static String normalized(String path) {
        if (List.of(path.split("/")).contains("..")) {
            return path;
        }
        try {
            return Path.of(path).normalize().toString();
        } catch (InvalidPathException e) {
            return path;
        }
    }

    private static String numbers(RequestedDevice device) {
        return (device.block() ? "b " : "c ") + device.major() + ":" + device.minor();
    }

    /**
     * The manager's nodes bind-mounted on their destinations (nosuid and noexec, not nodev: that would make them
     * unusable). A requested node replaces its linux.devices entry, and the spec's device cgroup rules decide its
     * access. The manager's own (/dev/net/tun, /dev/fuse) are allowed in the device cgroup after Docker's rules (the
     * last matching rule wins; Docker denies /dev/fuse), unless a device or mount the user asked for has their path.
     */
    static void bindNodes(ObjectNode linux, ArrayNode mounts, List<DeviceNode> nodes) {
        Set<String> requested = nodes.stream()
                .filter(DeviceNode::requested)
                .map(DeviceNode::destination)
                .collect(Collectors.toSet());
        Set<String> taken = new HashSet<>(requested);
        for (JsonNode mount : mounts) {
            taken.add(normalized(mount.path("destination").asText()));
        }
        ArrayNode devices = linux.path("devices") instanceof ArrayNode array ? array : linux.arrayNode();
        for (int i = devices.size() - 1; i >= 0; i--) {
            String path = normalized(devices.get(i).path("path").asText());
            if (requested.contains(path)) {
                devices.remove(i);
            } else {
                taken.add(path);
            }
        }
        ArrayNode rules = linux.withObjectProperty("resources").withArrayProperty("devices");
        for (DeviceNode node : nodes) {
            if (!node.requested() && taken.contains(node.destination())) {
                continue;
            }
            ObjectNode mount = mounts.addObject();
            mount.put("destination", node.destination());
            mount.put("type", "bind");
            mount.put("source", node.source());
            mount.set(
                    "options",
                    mounts.arrayNode().add("bind").add("rw").add("nosuid").add("noexec"));
            if (node.requested()) {
                continue;
            }
            rules.addObject()
                    .put("allow", true)
                    .put("type", "c")
                    .put("major", node.major())
                    .put("minor", node.minor())
                    .put("access", "rwm");
        }
    }
}
