package io.jsysbox.procfs;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * /sys/devices/virtual/dmi/id/product_uuid inside a container: a name-based (version 3) UUID of
 * "jsysbox:" + the container id, so it is unique per container, stable across restarts of the container
 * and of the FUSE daemon, and needs no stored state. Printed like the kernel's DMI code prints SMBIOS ≥ 2.6
 * UUIDs: lowercase, with a newline.
 */
public final class ProductUuid {
    private ProductUuid() {}

    public static String render(ContainerView view) {
        return forContainer(view.containerId()).toString() + "\n";
    }

    public static UUID forContainer(String containerId) {
        return UUID.nameUUIDFromBytes(("jsysbox:" + containerId).getBytes(StandardCharsets.UTF_8));
    }
}
