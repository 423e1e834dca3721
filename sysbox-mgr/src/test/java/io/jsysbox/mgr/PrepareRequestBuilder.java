package io.jsysbox.mgr;

import io.jsysbox.spec.Prepare;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A {@link Prepare.Request} made step by step: what a test asks the manager to prepare. */
final class PrepareRequestBuilder {
    private String id = "";
    private Path bundle = Path.of("/");
    private Path rootfs = Path.of("/");
    private final List<Prepare.BindMount> bindMounts = new ArrayList<>();
    private final List<String> specialMounts = new ArrayList<>();
    private String podSandboxId = "";
    private final List<String> joinedNamespaces = new ArrayList<>();
    private final List<Prepare.RequestedDevice> devices = new ArrayList<>();

    static PrepareRequestBuilder from(Prepare.Request request) {
        PrepareRequestBuilder builder = new PrepareRequestBuilder()
                .id(request.id())
                .rootfs(request.rootfs().toString());
        builder.bundle = request.bundle();
        builder.bindMounts.addAll(request.bindMounts());
        builder.specialMounts.addAll(request.specialMounts());
        builder.podSandboxId = request.podSandboxId();
        builder.joinedNamespaces.addAll(request.joinedNamespaces());
        builder.devices.addAll(request.devices());
        return builder;
    }

    PrepareRequestBuilder id(String id) {
        this.id = id;
        return this;
    }

    PrepareRequestBuilder bundle(String bundle) {
        this.bundle = Path.of(bundle);
        return this;
    }

    PrepareRequestBuilder rootfs(String rootfs) {
        this.rootfs = Path.of(rootfs);
        return this;
    }

    PrepareRequestBuilder specialMount(String destination) {
        specialMounts.add(destination);
        return this;
    }

    PrepareRequestBuilder bindMount(int index, String source, String destination) {
        bindMounts.add(new Prepare.BindMount(index, source, destination, false));
        return this;
    }

    /** A character device at {@code path}, owned by the container's root. */
    PrepareRequestBuilder device(String path, long major, long minor, long fileMode) {
        devices.add(new Prepare.RequestedDevice(path, false, major, minor, fileMode, 0, 0));
        return this;
    }

    PrepareRequestBuilder podSandboxId(String sandboxId) {
        podSandboxId = sandboxId;
        return this;
    }

    PrepareRequestBuilder joinedNamespace(String path) {
        joinedNamespaces.add(path);
        return this;
    }

    Prepare.Request build() {
        return new Prepare.Request(
                id, bundle, rootfs, bindMounts, specialMounts, false, podSandboxId, joinedNamespaces, devices);
    }
}
