package io.jsysbox.installer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * Edits containerd's config.toml: adds or removes the CRI runtime handler {@code jsysbox} (the runc v2 shim running
 * jsysbox-runc), which a Kubernetes RuntimeClass with {@code handler: jsysbox} selects. Pure.
 * <p>
 * The handler is a block of its own, between two marker comments, appended to the file: everything else stays as
 * written (comments included). Not a drop-in under {@code imports}: containerd 1.6 replaces a plugin's whole section
 * with an imported file's, which would drop the CRI settings config.toml has. Every result is parsed back, so an edit
 * that would not load (say, a config defining the runtimes as an inline table) is refused instead of written.
 */
public final class ContainerdConfig {
    static final String BEGIN =
            "# BEGIN jsysbox runtime handler (written by jsysbox's installer; 'jsysbox uninstall' removes it)";
    static final String END = "# END jsysbox runtime handler";
    private static final Pattern BLOCK =
            Pattern.compile("\\n?" + Pattern.quote(BEGIN) + ".*?" + Pattern.quote(END) + "\\n?", Pattern.DOTALL);
    private static final TomlMapper TOML = new TomlMapper();

    private ContainerdConfig() {}

    /** {@code text} (empty for a missing file) with the handler {@code name} running {@code runtimePath}. */
    public static String withRuntime(String text, String name, String runtimePath) {
        String rest = withoutRuntime(text);
        JsonNode parsed = parse(rest);
        // Docker's containerd.io package ships disabled_plugins = ["cri"]: a handler there would never be used.
        for (JsonNode disabled : parsed.path("disabled_plugins")) {
            if (disabled.asText().equals("cri")
                    || disabled.asText().startsWith("io.containerd.cri.")
                    || disabled.asText().equals("io.containerd.grpc.v1.cri")) {
                throw new IllegalArgumentException(
                        "containerd's config disables its CRI plugin (disabled_plugins has '" + disabled.asText()
                                + "'): remove it from disabled_plugins for Kubernetes, then run this again");
            }
        }
        String plugin = criPlugin(parsed);
        if (!runtimes(parsed, plugin).path(name).isMissingNode()) {
            throw new IllegalArgumentException("containerd's config already defines the runtime '" + name
                    + "' outside jsysbox's block: remove it by hand, then run this again");
        }
        StringBuilder result = new StringBuilder(rest.isBlank() ? "version = 2\n" : rest);
        if (!result.isEmpty() && result.charAt(result.length() - 1) != '\n') {
            result.append('\n');
        }
        String runtimesTable = "plugins.\"" + plugin + "\".containerd.runtimes.";
        result.append('\n').append(BEGIN).append('\n');
        // A runtimes table in the file replaces containerd's built-in one, whose default runtime (runc) the CRI plugin
        // then misses and refuses to load ("no corresponding runtime configured"): name it again, as built in.
        String defaultRuntime = parsed.path("plugins")
                .path(plugin)
                .path("containerd")
                .path("default_runtime_name")
                .asText("runc");
        if (runtimes(parsed, plugin).path(defaultRuntime).isMissingNode()) {
            result.append('[')
                    .append(runtimesTable)
                    .append(defaultRuntime)
                    .append("]\n")
                    .append("  runtime_type = \"io.containerd.runc.v2\"\n");
        }
        result.append('[')
                .append(runtimesTable)
                .append(name)
                .append("]\n")
                .append("  runtime_type = \"io.containerd.runc.v2\"\n")
                .append("  [")
                .append(runtimesTable)
                .append(name)
                .append(".options]\n")
                .append("    BinaryName = \"")
                .append(runtimePath)
                .append("\"\n");
        // The kubelet names pod cgroups for the node's driver: with systemd's (kubeadm's default), a handler on
        // cgroupfs would put the pod's containers where the kubelet does not look. Same driver as the default runtime.
        if (runtimes(parsed, plugin)
                .path(defaultRuntime)
                .path("options")
                .path("SystemdCgroup")
                .asBoolean(false)) {
            result.append("    SystemdCgroup = true\n");
        }
        result.append(END).append('\n');
        JsonNode check = parse(result.toString());
        if (!runtimes(check, plugin)
                .path(name)
                .path("options")
                .path("BinaryName")
                .asText()
                .equals(runtimePath)) {
            throw new IllegalStateException(
                    "the edited containerd config does not register '" + name + "': edit it by hand");
        }
        return result.toString();
    }

    /** {@code text} without jsysbox's block. */
    public static String withoutRuntime(String text) {
        return BLOCK.matcher(text).replaceAll("");
    }

    /** Whether {@code text} has jsysbox's block. */
    public static boolean hasRuntime(String text) {
        return BLOCK.matcher(text).find();
    }

    /** The CRI plugin's name for the config's schema: version 2 (containerd 1.x) or 3 (containerd 2.x). */
    private static String criPlugin(JsonNode config) {
        int version = config.path("version").asInt(config.isEmpty() ? 2 : 1);
        return switch (version) {
            case 2 -> "io.containerd.grpc.v1.cri";
            case 3 -> "io.containerd.cri.v1.runtime";
            default ->
                throw new IllegalArgumentException("containerd's config is version " + version
                        + ": migrate it first ('containerd config migrate' on containerd 2, or write 'version "
                        + "= 2' and the v2 plugin names)");
        };
    }

    private static JsonNode runtimes(JsonNode config, String plugin) {
        return config.path("plugins").path(plugin).path("containerd").path("runtimes");
    }

    private static JsonNode parse(String text) {
        try {
            return TOML.readTree(text.isBlank() ? "" : text);
        } catch (IOException e) {
            throw new IllegalArgumentException("containerd's config is not valid TOML ("
                    + e.getMessage().lines().findFirst().orElse("") + "): fix it first");
        }
    }
}
