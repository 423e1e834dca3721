package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ContainerdConfigTest {
    /** Debian 12's /etc/containerd/config.toml. */
    private static final String DEBIAN = """
            version = 2

            [plugins]
              [plugins."io.containerd.grpc.v1.cri"]
                [plugins."io.containerd.grpc.v1.cri".cni]
                  bin_dir = "/usr/lib/cni"
                  conf_dir = "/etc/cni/net.d"
              [plugins."io.containerd.internal.v1.opt"]
                path = "/var/lib/containerd/opt"
            """;

    @Test
    void addsTheHandlerAndKeepsEveryOtherLine() {
        String edited = ContainerdConfig.withRuntime(DEBIAN, "jsysbox", "/usr/local/bin/jsysbox-runc");
        assertTrue(edited.startsWith(DEBIAN), edited);
        assertTrue(
                edited.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.jsysbox]\n  runtime_type = "
                        + "\"io.containerd.runc.v2\"\n"));
        assertTrue(edited.contains("    BinaryName = \"/usr/local/bin/jsysbox-runc\"\n"));
        assertTrue(
                edited.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = "
                        + "\"io.containerd.runc.v2\"\n"),
                "without its default runtime named again, containerd's CRI plugin refuses to load: " + edited);
        assertTrue(ContainerdConfig.hasRuntime(edited));
        assertEquals(
                edited,
                ContainerdConfig.withRuntime(edited, "jsysbox", "/usr/local/bin/jsysbox-runc"),
                "adding twice changes nothing");
    }

    @Test
    void aConfiguredDefaultRuntimeIsLeftAlone() {
        String own = DEBIAN
                + "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = "
                + "\"io.containerd.runc.v2\"\n";
        String edited = ContainerdConfig.withRuntime(own, "jsysbox", "/j");
        assertEquals(1, edited.split("runtimes.runc]", -1).length - 1, edited);
    }

    @Test
    void theHandlerUsesTheDefaultRuntimesCgroupDriver() {
        String systemd = DEBIAN
                + "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = "
                + "\"io.containerd.runc.v2\"\n  "
                + "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n    SystemdCgroup = true\n";
        assertTrue(
                ContainerdConfig.withRuntime(systemd, "jsysbox", "/j")
                        .contains("    BinaryName = \"/j\"\n    SystemdCgroup = true\n"),
                "kubeadm's nodes use systemd's cgroup driver: the kubelet looks for the pod's cgroups there");
        assertFalse(ContainerdConfig.withRuntime(DEBIAN, "jsysbox", "/j").contains("SystemdCgroup"));
    }

    @Test
    void removingGivesBackTheOriginal() {
        String edited = ContainerdConfig.withRuntime(DEBIAN, "jsysbox", "/usr/local/bin/jsysbox-runc");
        assertEquals(DEBIAN, ContainerdConfig.withoutRuntime(edited));
        assertFalse(ContainerdConfig.hasRuntime(DEBIAN));
    }

    @Test
    void aMissingFileGetsAVersionTwoConfigAndVersionThreeItsPluginName() {
        assertTrue(ContainerdConfig.withRuntime("", "jsysbox", "/j").startsWith("version = 2\n"));
        String v3 = ContainerdConfig.withRuntime("version = 3\n", "jsysbox", "/j");
        assertTrue(v3.contains("[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.jsysbox]"), v3);
    }

    @Test
    void refusesWhatItCannotEditSafely() {
        assertThrows(
                IllegalArgumentException.class,
                () -> ContainerdConfig.withRuntime("[plugins\n", "jsysbox", "/j"),
                "invalid TOML");
        assertThrows(
                IllegalArgumentException.class,
                () -> ContainerdConfig.withRuntime("[plugins.cri]\n", "jsysbox", "/j"),
                "version 1");
        String own = DEBIAN
                + "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.jsysbox]\n  runtime_type = \"x\"\n";
        assertThrows(
                IllegalArgumentException.class,
                () -> ContainerdConfig.withRuntime(own, "jsysbox", "/j"),
                "a handler of the same name");
        String inline =
                "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  runtimes = { runc = { runtime_type "
                        + "= \"io.containerd.runc.v2\" } }\n";
        assertThrows(
                RuntimeException.class,
                () -> ContainerdConfig.withRuntime(inline, "jsysbox", "/j"),
                "an inline table cannot be extended");
        String dockerPackage = "disabled_plugins = [\"cri\"]\n";
        assertTrue(
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ContainerdConfig.withRuntime(dockerPackage, "jsysbox", "/j"))
                        .getMessage()
                        .contains("disables its CRI plugin"),
                "the CRI plugin disabled, as Docker's containerd.io ships it");
    }
}
