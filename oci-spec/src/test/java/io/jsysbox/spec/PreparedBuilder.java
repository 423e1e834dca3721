package io.jsysbox.spec;

import java.util.ArrayList;
import java.util.List;

/** A {@link Prepare.Result} made step by step: what a test says the manager prepared. */
final class PreparedBuilder {
    private final HostRange uids;
    private final HostRange gids;
    private final List<Prepare.SpecialMount> specialMounts = new ArrayList<>();
    private final List<Prepare.MountReplacement> replacements = new ArrayList<>();
    private final List<Prepare.DeviceNode> deviceNodes = new ArrayList<>();
    private final List<Prepare.SpecialMount> layerMounts = new ArrayList<>();
    private String rootfsShift = "none";
    private String rootfsPath = "";
    private long userNamespacePid;

    PreparedBuilder(HostRange uids, HostRange gids) {
        this.uids = uids;
        this.gids = gids;
    }

    static PreparedBuilder from(Prepare.Result prepared) {
        PreparedBuilder builder = new PreparedBuilder(prepared.uids(), prepared.gids());
        builder.specialMounts.addAll(prepared.specialMounts());
        builder.replacements.addAll(prepared.replacements());
        builder.deviceNodes.addAll(prepared.deviceNodes());
        builder.layerMounts.addAll(prepared.layerMounts());
        builder.rootfsShift = prepared.rootfsShift();
        builder.rootfsPath = prepared.rootfsPath();
        builder.userNamespacePid = prepared.userNamespacePid();
        return builder;
    }

    PreparedBuilder specialMount(String destination, String source) {
        specialMounts.add(new Prepare.SpecialMount(destination, source));
        return this;
    }

    PreparedBuilder noSpecialMounts() {
        specialMounts.clear();
        return this;
    }

    PreparedBuilder replacement(int index, String source) {
        replacements.add(new Prepare.MountReplacement(index, source));
        return this;
    }

    PreparedBuilder noReplacements() {
        replacements.clear();
        return this;
    }

    PreparedBuilder deviceNode(Prepare.DeviceNode node) {
        deviceNodes.add(node);
        return this;
    }

    PreparedBuilder layerMount(String destination, String source) {
        layerMounts.add(new Prepare.SpecialMount(destination, source));
        return this;
    }

    PreparedBuilder rootfs(String shift, String path) {
        rootfsShift = shift;
        rootfsPath = path;
        return this;
    }

    PreparedBuilder userNamespacePid(long pid) {
        userNamespacePid = pid;
        return this;
    }

    Prepare.Result build() {
        return new Prepare.Result(
                uids,
                gids,
                specialMounts,
                replacements,
                rootfsShift,
                rootfsPath,
                deviceNodes,
                layerMounts,
                userNamespacePid);
    }
}
