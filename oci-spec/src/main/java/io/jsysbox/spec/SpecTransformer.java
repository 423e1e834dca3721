package io.jsysbox.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.api.v1.BindMount;
import io.jsysbox.api.v1.IdRange;
import io.jsysbox.api.v1.MountReplacement;
import io.jsysbox.api.v1.PrepareResponse;
import io.jsysbox.api.v1.SpecialMount;
import io.jsysbox.linux.MountInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The OCI spec rewrite that turns a Docker/runc container into a system container: its own user namespace
 * over the manager's ID range, root with every capability the host allows (bounded by that namespace),
 * seccomp that lets inner engines mount and unshare and hands sysinfo to jsysbox-fs's agent, writable sysfs and
 * cgroupfs, special mounts and the manager's ID-mapped sources. Pure: no I/O, inputs are never modified.
 */
public final class SpecTransformer {
    public static final String TRANSFORMED = "io.jsysbox.transformed";
    static final String UID_RANGE = "io.jsysbox.uid-range";
    static final String GID_RANGE = "io.jsysbox.gid-range";
    // What the rewrite replaces and cannot re-derive, so that transforming a transformed spec (create re-run on
    // the same bundle) starts again from the caller's spec instead of stacking a second rewrite.
    static final String ORIGINAL_ROOT = "io.jsysbox.original-root-path";
    static final String ORIGINAL_MOUNTS = "io.jsysbox.original-mounts";
    static final String ORIGINAL_NAMESPACES = "io.jsysbox.original-namespaces";
    static final String ORIGINAL_DEVICES = "io.jsysbox.original-devices";
    /** Set when the spec had no seccomp filter and the rewrite made one (for the agent alone). */
    static final String ADDED_SECCOMP = "io.jsysbox.added-seccomp";

    /** Where inner engines keep their data; backed by host dirs so they need no overlay-on-overlay. */
    static final String INNER_IMAGE_CACHE_OFF = "JSYSBOX_INNER_IMAGE_CACHE=off";
    /**
     * In a container's environment: its mount(2) and umount2(2) go to the kernel unseen, and the manager neither locks
     * its virtual files nor protects its mounts. Its procfs mounts inside (an inner container's) then show the host's
     * files. For measuring what interception costs, and for software that must unmount what the runtime mounted.
     */
    static final String MOUNT_INTERCEPTION_OFF = "JSYSBOX_MOUNT_INTERCEPTION=off";

    private static final List<String> LOCKED_MOUNT_FLAGS = List.of("ro", "nosuid", "nodev", "noexec");
    /** The jsysbox-runc verb of the createRuntime hook {@code run} adds (see {@link #withStartedHook}). */
    public static final String STARTED_HOOK_VERB = "started-hook";
    /** The environment variable that keeps the engine's capabilities (see {@link #grantCapabilities}). */
    static final String HONOR_CAPABILITIES = "JSYSBOX_HONOR_CAPS";
    /** Where inner engines keep their images and state: the manager backs each with a host dir of the container's. */
    public static final List<String> SPECIAL_MOUNT_DESTINATIONS = List.of(
            "/var/lib/docker",
            "/var/lib/containerd",
            "/var/lib/containers",
            "/var/lib/kubelet",
            "/var/lib/rancher/k3s",
            "/var/lib/buildkit");

    /** Namespaces a container must not share with the host, with the Docker flag that shares each. */
    private static final Map<String, String> REQUIRED_NAMESPACES = Map.of(
            "pid", "--pid=host", "network", "--network=host", "ipc", "--ipc=host", "uts", "--uts=host", "mount", "");
    /** The same for a Kubernetes pod: the pod spec field that shares each (the kubelet shares UTS with hostNetwork). */
    private static final Map<String, String> POD_HOST_FIELDS = Map.of(
            "pid", "hostPID: true", "network", "hostNetwork: true", "ipc", "hostIPC: true", "uts", "hostNetwork: true");

    /**
     * Syscalls inner container engines, systemd and init systems need, allowed unconditionally. Docker's profile
     * only allows them with CAP_SYS_ADMIN & co. (or conditions clone on namespace flags, and answers clone3 with
     * ENOSYS). Inside the user namespace the kernel still checks each against the namespace's capabilities.
     * Not here: syslog (host kernel log), open_by_handle_at (file handles bypass mount boundaries),
     * lookup_dcookie and personality (no use inside, Docker's conditional rules stay).
     */
    static final List<String> SYSTEM_CONTAINER_SYSCALLS = List.of(
            "mount",
            "umount",
            "umount2",
            "pivot_root",
            "unshare",
            "setns",
            "clone",
            "clone3",
            "keyctl",
            "add_key",
            "request_key",
            "sethostname",
            "setdomainname",
            "mount_setattr",
            "open_tree",
            "move_mount",
            "fsopen",
            "fsconfig",
            "fsmount",
            "fspick",
            "name_to_handle_at",
            "bpf",
            "perf_event_open",
            "quotactl",
            "vhangup",
            "reboot",
            "ptrace",
            "kcmp",
            "process_vm_readv",
            "process_vm_writev");

    /**
     * Syscalls jsysbox-fs's seccomp agent answers for the container (SCMP_ACT_NOTIFY, descriptor handed over by runc
     * through {@link UnixChannels#SECCOMP_AGENT_SOCKET}): sysinfo, with the memory, uptime and load its /proc files
     * show, and mount, whose procfs mounts the agent makes with those files on them (the kernel refuses them inside:
     * the container's /proc has locked mounts on it), and umount2, which with mount's moves and remounts the agent
     * refuses for the mounts the runtime made; every other mount goes on to the kernel. Nothing else: a notified
     * call costs a round trip through the agent (tens of microseconds, against well under one for the kernel's answer),
     * so the list stays minimal. Nested containers (an inner docker, runc, podman) inherit the filter: seccomp filters
     * stack and the kernel takes the strictest action of them all (USER_NOTIF before ALLOW), so an inner container's
     * sysinfo and /proc describe the system container too.
     */
    static final List<String> NOTIFIED_SYSCALLS = List.of("sysinfo", "mount", "umount2");
    /** Those of them that {@link #MOUNT_INTERCEPTION_OFF} leaves to the kernel. */
    static final List<String> MOUNT_SYSCALLS = List.of("mount", "umount2");
    /** The architectures of a filter made where the spec has none: those of Docker's default profile on x86_64. */
    static final List<String> SECCOMP_ARCHITECTURES = List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecTransformer() {}

    /** The spec as its author wrote it: an earlier rewrite's root, mounts, namespaces and mappings undone. */
    static ObjectNode original(ObjectNode spec) {
        ObjectNode copy = spec.deepCopy();
        JsonNode annotations = copy.path("annotations");
        if (!annotations.path(TRANSFORMED).asText().equals("true")) {
            return copy;
        }
        ObjectNode linux = copy.withObjectProperty("linux");
        if (annotations.has(ORIGINAL_ROOT)) {
            copy.withObjectProperty("root")
                    .put("path", annotations.get(ORIGINAL_ROOT).asText());
        }
        restore(copy, "mounts", annotations.path(ORIGINAL_MOUNTS));
        restore(linux, "namespaces", annotations.path(ORIGINAL_NAMESPACES));
        // Kept as they are without the annotation: a rewrite leaves linux.devices alone when it saves none.
        if (annotations.has(ORIGINAL_DEVICES)) {
            restore(linux, "devices", annotations.path(ORIGINAL_DEVICES));
        }
        if (annotations.path(ADDED_SECCOMP).asText().equals("true")) {
            linux.remove("seccomp");
        }
        linux.remove(List.of("uidMappings", "gidMappings"));
        removeStartedHook(copy);
        ((ObjectNode) annotations)
                .remove(List.of(
                        TRANSFORMED,
                        UID_RANGE,
                        GID_RANGE,
                        ORIGINAL_ROOT,
                        ORIGINAL_MOUNTS,
                        ORIGINAL_NAMESPACES,
                        ORIGINAL_DEVICES,
                        ADDED_SECCOMP));
        return copy;
    }

    private static void restore(ObjectNode parent, String field, JsonNode savedText) {
        if (savedText.isMissingNode()) {
            parent.remove(field);
            return;
        }
        try {
            parent.set(field, JSON.readTree(savedText.asText()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("annotation for " + field + " is not JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * {@code spec} with {@code command} (argv, argv[0] the program) first among its createRuntime hooks: run's way
     * to reach the manager between runc's creation of the container and its start.
     */
    static ObjectNode withStartedHook(ObjectNode spec, List<String> command, List<String> environment) {
        ObjectNode result = spec.deepCopy();
        ObjectNode hook = result.withObjectProperty("hooks")
                .withArrayProperty("createRuntime")
                .insertObject(0);
        hook.put("path", command.getFirst());
        hook.set("args", textArray(command));
        if (!environment.isEmpty()) {
            hook.set("env", textArray(environment));
        }
        hook.put("timeout", 60);
        return result;
    }

    private static void removeStartedHook(ObjectNode spec) {
        JsonNode hooks = spec.path("hooks").path("createRuntime");
        for (int i = hooks.size() - 1; i >= 0; i--) {
            if (hooks.get(i)
                    .path("args")
                    .valueStream()
                    .anyMatch(arg -> arg.asText().equals(STARTED_HOOK_VERB))) {
                ((ArrayNode) hooks).remove(i);
            }
        }
        if (hooks.isArray() && hooks.isEmpty()) {
            ((ObjectNode) spec.get("hooks")).remove("createRuntime");
        }
    }

    /**
     * Rejects specs that would share the host's namespaces or make container root host root, in a pod's terms for a
     * pod's containers. {@code joinedHost}: the namespace types the spec joins by a path that is the host's namespace
     * (found by the caller).
     */
    static void validate(ObjectNode spec, PodRole pod, Set<String> joinedHost) throws JsysboxException {
        if (!spec.path("root").path("path").isTextual()) {
            throw new JsysboxException(
                    "config.json has no root.path: set it to the container's root filesystem directory");
        }
        if (!spec.path("process").isObject()) {
            throw new JsysboxException("config.json has no process: add the process to run (see 'runc spec')");
        }
        boolean inPod = pod.kind() != PodRole.Kind.NONE;
        if (isPrivileged(spec)) {
            throw new JsysboxException(
                    inPod
                            ? "a pod with securityContext.privileged: true cannot use the jsysbox runtime class: its "
                                    + "pods are unprivileged by design and run Docker/systemd without it; drop "
                                    + "privileged"
                            : "--privileged is not supported: jsysbox containers are unprivileged by design "
                                    + "and run Docker/systemd without it; drop --privileged");
        }
        JsonNode linux = spec.path("linux");
        for (var required : REQUIRED_NAMESPACES.entrySet()) {
            if (namespace(linux, required.getKey()) != null && !joinedHost.contains(required.getKey())) {
                continue;
            }
            String type = required.getKey(), flag = required.getValue();
            if (inPod && POD_HOST_FIELDS.containsKey(type)) {
                throw new JsysboxException("a pod with " + POD_HOST_FIELDS.get(type)
                        + " cannot use the jsysbox runtime class: its pods need their own " + type
                        + " namespace; drop " + POD_HOST_FIELDS.get(type) + " or use another runtime class");
            }
            throw new JsysboxException(
                    flag.isEmpty()
                            ? "config.json has no " + type
                                    + " namespace: a jsysbox container needs its own; add {\"type\":\"" + type
                                    + "\"} to linux.namespaces"
                            : flag + " is not supported: a jsysbox container needs its own " + type
                                    + " namespace; drop " + flag);
        }
        JsonNode userns = namespace(linux, "user");
        if (userns != null && userns.has("path")) {
            throw new JsysboxException("config.json joins the existing user namespace "
                    + userns.get("path").asText()
                    + ": jsysbox creates each container's user namespace itself; drop the --userns option (or "
                    + "the path)");
        }
        if (!linux.path("uidMappings").isEmpty() || !linux.path("gidMappings").isEmpty()) {
            throw new JsysboxException("config.json already maps user IDs (dockerd userns-remap?): jsysbox gives each "
                    + "container its own ID range; turn userns-remap off in /etc/docker/daemon.json or run "
                    + "with --userns=host");
        }
    }

    /** Docker's --privileged: CAP_SYS_ADMIN and nothing masked or read-only. */
    private static boolean isPrivileged(JsonNode spec) {
        boolean sysAdmin = false;
        for (JsonNode cap : spec.path("process").path("capabilities").path("bounding")) {
            sysAdmin |= cap.asText().equals("CAP_SYS_ADMIN");
        }
        JsonNode linux = spec.path("linux");
        return sysAdmin
                && linux.path("maskedPaths").isEmpty()
                && linux.path("readonlyPaths").isEmpty();
    }

    private static JsonNode namespace(JsonNode linux, String type) {
        for (JsonNode ns : linux.path("namespaces")) {
            if (ns.path("type").asText().equals(type)) {
                return ns;
            }
        }
        return null;
    }

    /** root.path resolved against the bundle, as runc resolves it. */
    public static Path rootfs(ObjectNode spec, Path bundle) {
        return bundle.resolve(spec.path("root").path("path").asText()).normalize();
    }

    /** The spec's bind mounts, by index in {@code mounts}, for the manager to ID-map. */
    static List<BindMount> bindMounts(ObjectNode spec) {
        List<BindMount> binds = new ArrayList<>();
        JsonNode mounts = spec.path("mounts");
        for (int i = 0; i < mounts.size(); i++) {
            JsonNode mount = mounts.get(i);
            if (!isBind(mount)) {
                continue;
            }
            boolean readOnly = false;
            for (JsonNode option : mount.path("options")) {
                readOnly |= option.asText().equals("ro");
            }
            binds.add(BindMount.newBuilder()
                    .setIndex(i)
                    .setSource(mount.path("source").asText())
                    .setDestination(mount.path("destination").asText())
                    .setReadOnly(readOnly)
                    .build());
        }
        return binds;
    }

    private static boolean isBind(JsonNode mount) {
        if (mount.path("type").asText().equals("bind")) {
            return true;
        }
        for (JsonNode option : mount.path("options")) {
            if (option.asText().equals("bind") || option.asText().equals("rbind")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The special-mount destinations the spec leaves free. One is skipped when the user mounted something on it,
     * inside it (our mount, added last, would hide theirs) or on a directory above it (the user owns that tree).
     */
    static List<String> specialMountsWanted(ObjectNode spec) {
        List<String> wanted = new ArrayList<>();
        for (String special : SPECIAL_MOUNT_DESTINATIONS) {
            Path specialPath = Path.of(special);
            boolean taken = false;
            for (JsonNode mount : spec.path("mounts")) {
                Path destination =
                        Path.of("/").resolve(mount.path("destination").asText()).normalize();
                taken |= !destination.equals(Path.of("/"))
                        && (destination.startsWith(specialPath) || specialPath.startsWith(destination));
            }
            if (!taken) {
                wanted.add(special);
            }
        }
        return wanted;
    }

    /**
     * Kernel file systems a user namespace may not mount (debugfs, tracefs) whose mount points systemd mounts at boot:
     * an empty read-only tmpfs there makes them look mounted, so systemd in the container skips them instead of
     * failing two units (and the container's processes see no kernel debug interface, as Docker masks others).
     */
    static final List<String> KERNEL_FS_MOUNTPOINTS = List.of("/sys/kernel/debug", "/sys/kernel/tracing");

    /**
     * The system-container spec for container {@code id}'s {@code spec} (a transformed spec is rewritten from its
     * original). {@code kernelFsMountpoints}: those of {@link #KERNEL_FS_MOUNTPOINTS} that exist on this kernel.
     */
    static ObjectNode transform(
            String id,
            ObjectNode spec,
            PodRole pod,
            PrepareResponse prepared,
            List<String> hostCapabilities,
            List<String> kernelFsMountpoints) {
        ObjectNode result = original(spec);
        ObjectNode annotations = result.withObjectProperty("annotations");
        annotations.put(ORIGINAL_ROOT, result.path("root").path("path").asText());
        if (result.has("mounts")) {
            annotations.put(ORIGINAL_MOUNTS, result.get("mounts").toString());
        }
        ObjectNode linux = result.withObjectProperty("linux");
        if (linux.has("namespaces")) {
            annotations.put(ORIGINAL_NAMESPACES, linux.get("namespaces").toString());
        }
        if (linux.has("devices")) {
            annotations.put(ORIGINAL_DEVICES, linux.get("devices").toString());
        }

        addNamespaces(linux, "user", "cgroup");
        boolean sharesUserNamespace = prepared.getUserNamespacePid() > 0;
        if (sharesUserNamespace) {
            joinSharedNamespaces(linux, prepared.getUserNamespacePid());
        }
        if (pod.isSandbox()) {
            ownPodNamespaces(linux);
        }
        linux.set("uidMappings", mappings(prepared.getUidRange()));
        linux.set("gidMappings", mappings(prepared.getGidRange()));
        grantCapabilities(result.withObjectProperty("process"), hostCapabilities);
        keepInheritedOomScore(result.withObjectProperty("process"));
        if (linux.path("seccomp").isObject()) {
            allowSystemContainerSyscalls(linux.withObjectProperty("seccomp"));
        } else {
            annotations.put(ADDED_SECCOMP, "true");
        }
        notifyAgent(linux, id, mountInterceptionOff(spec) ? notifiedWithoutMounts() : NOTIFIED_SYSCALLS);
        rewriteMounts(result.withArrayProperty("mounts"), prepared);
        // Joining a network namespace from the user namespace that owns it (a pod's, a shared one), sysfs mounts.
        if (networkNamespacePath(linux).isPresent() && !sharesUserNamespace) {
            bindHostSysfs(result.withArrayProperty("mounts"));
        }
        placeholdKernelFileSystems(result.withArrayProperty("mounts"), kernelFsMountpoints);
        SpecDevices.bindNodes(linux, result.withArrayProperty("mounts"), prepared.getDeviceNodesList());
        removeText(linux.path("readonlyPaths"), "/proc/sys");
        if (!prepared.getRootfsPath().isEmpty()) {
            result.withObjectProperty("root").put("path", prepared.getRootfsPath());
        }
        fitPingGroupRange(linux, prepared.getGidRange());

        annotations.put(TRANSFORMED, "true");
        annotations.put(
                UID_RANGE,
                prepared.getUidRange().getHostStart() + ":"
                        + prepared.getUidRange().getSize());
        annotations.put(
                GID_RANGE,
                prepared.getGidRange().getHostStart() + ":"
                        + prepared.getGidRange().getSize());
        return result;
    }

    /**
     * Lowering oom_score_adj takes CAP_SYS_RESOURCE on the host, which a user namespace never has: runc's write of a
     * negative value (containerd's CRI asks -998 for a pod sandbox) fails the create with EACCES. The process keeps the
     * score it inherits instead; raising it (positive values) works and is kept.
     */
    private static void keepInheritedOomScore(ObjectNode process) {
        if (process.path("oomScoreAdj").asInt(0) < 0) {
            process.remove("oomScoreAdj");
        }
    }

    /**
     * Namespaces a pod's containers share, which the sandbox makes in the pod's user namespace (spec type → /proc
     * name).
     */
    private static final Map<String, String> POD_NAMESPACES = Map.of("network", "net", "ipc", "ipc", "uts", "uts");

    /**
     * The sandbox makes the pod's network, IPC and UTS namespaces inside the pod's user namespace, whatever the CRI
     * made for them (containerd its network namespace, CRI-O also pinned IPC and UTS ones): those belong to the host's
     * user namespace, which the pod's containers could not join from the pod's. The manager moves the CRI's network
     * interfaces into the sandbox's namespace.
     */
    private static void ownPodNamespaces(ObjectNode linux) {
        for (String type : POD_NAMESPACES.keySet()) {
            JsonNode namespace = namespace(linux, type);
            if (namespace != null) {
                ((ObjectNode) namespace).remove("path");
            }
        }
    }

    /**
     * A pod's container joins the sandbox's user namespace, and the pod's network, IPC and UTS namespaces as the
     * sandbox has them (runc joins the user namespace first, so only namespaces it owns can be joined after); so does
     * a container joining another jsysbox container's namespaces, with {@code initPid} that container's init.
     */
    private static void joinSharedNamespaces(ObjectNode linux, long initPid) {
        String dir = "/proc/" + initPid + "/ns/";
        ((ObjectNode) namespace(linux, "user")).put("path", dir + "user");
        for (var shared : POD_NAMESPACES.entrySet()) {
            JsonNode namespace = namespace(linux, shared.getKey());
            if (namespace != null && namespace.has("path")) {
                ((ObjectNode) namespace).put("path", dir + shared.getValue());
            }
        }
    }

    /**
     * Paths of the network, IPC, PID and UTS namespaces the spec joins: when they are a jsysbox container's (Docker's
     * --network/--ipc/--pid container:X), the manager has this container share that one's user namespace.
     */
    static List<String> joinedNamespacePaths(JsonNode spec) {
        List<String> paths = new ArrayList<>();
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            if (List.of("network", "ipc", "pid", "uts")
                            .contains(namespace.path("type").asText())
                    && namespace.path("path").isTextual()) {
                paths.add(namespace.path("path").asText());
            }
        }
        return paths;
    }

    /** The network namespace the spec joins by path, if it joins one. */
    static Optional<String> networkNamespacePath(JsonNode linux) {
        JsonNode network = namespace(linux, "network");
        String path = network == null ? "" : network.path("path").asText();
        return path.isEmpty() ? Optional.empty() : Optional.of(path);
    }

    /**
     * For a pod's sandbox, the network namespace the CRI made and configured (its spec as written, before the
     * rewrite), whose interfaces the manager moves into the sandbox's own; "" for any other container.
     */
    static String networkToAdopt(JsonNode originalSpec, PodRole pod) {
        return pod.isSandbox()
                ? networkNamespacePath(originalSpec.path("linux")).orElse("")
                : "";
    }

    /**
     * The kernel mounts a sysfs only for a process with CAP_SYS_ADMIN over the network namespace's owner: a container
     * joining a network namespace made outside its user namespace (a Kubernetes pod's, which the CRI makes before the
     * runtime runs) cannot. It gets the host's sysfs read-only instead, as a recursive bind.
     */
    private static void bindHostSysfs(ArrayNode mounts) {
        for (JsonNode node : mounts) {
            if (!node.path("type").asText().equals("sysfs")) {
                continue;
            }
            ObjectNode mount = (ObjectNode) node;
            mount.put("type", "bind").put("source", "/sys");
            mount.set("options", textArray(List.of("rbind", "nosuid", "noexec", "nodev", "ro")));
        }
    }

    private static void addNamespaces(ObjectNode linux, String... types) {
        ArrayNode namespaces = linux.withArrayProperty("namespaces");
        for (String type : types) {
            if (namespace(linux, type) == null) {
                namespaces.addObject().put("type", type);
            }
        }
    }

    private static ArrayNode mappings(IdRange range) {
        ArrayNode mappings = JSON.createArrayNode();
        mappings.addObject()
                .put("containerID", 0)
                .put("hostID", range.getHostStart())
                .put("size", range.getSize());
        return mappings;
    }

    /**
     * Root (uid 0) gets every capability of the host's bounding set in its bounding, effective and permitted sets;
     * the user namespace confines them to the container. Other users keep their sets but may raise (setuid
     * binaries, file capabilities) up to the same bound. Never more than the host's bounding set: runc fails
     * ("unable to apply caps") when asked for a capability its own process lacks. A process whose environment has
     * {@link #HONOR_CAPABILITIES} (or Sysbox's name for it) keeps the engine's sets: --cap-drop then holds.
     */
    public static void grantCapabilities(ObjectNode process, List<String> hostCapabilities) {
        if (honorsEngineCapabilities(process)) {
            return;
        }
        ObjectNode capabilities = process.withObjectProperty("capabilities");
        capabilities.set("bounding", textArray(hostCapabilities));
        if (process.path("user").path("uid").asLong(0) != 0) {
            return;
        }
        capabilities.set("effective", textArray(hostCapabilities));
        capabilities.set("permitted", textArray(hostCapabilities));
    }

    /**
     * Whether the process asks to keep the capabilities its engine gave it (--cap-add/--cap-drop as with runc) instead
     * of a system container's: {@code JSYSBOX_HONOR_CAPS=true} in its environment, or {@code SYSBOX_HONOR_CAPS=true},
     * for images made for Sysbox. docker exec's process carries the container's environment, so it follows the init.
     */
    static boolean honorsEngineCapabilities(JsonNode process) {
        for (JsonNode variable : process.path("env")) {
            String entry = variable.asText();
            int equals = entry.indexOf('=');
            if (equals < 0) {
                continue;
            }
            String name = entry.substring(0, equals);
            if ((name.equals(HONOR_CAPABILITIES) || name.equals("SYSBOX_HONOR_CAPS"))
                    && entry.substring(equals + 1).equalsIgnoreCase("true")) {
                return true;
            }
        }
        return false;
    }

    private static ArrayNode textArray(List<String> texts) {
        ArrayNode array = JSON.createArrayNode();
        texts.forEach(array::add);
        return array;
    }

    /** Takes the system-container syscalls out of every rule, then allows them all. */
    private static void allowSystemContainerSyscalls(ObjectNode seccomp) {
        setAction(seccomp, SYSTEM_CONTAINER_SYSCALLS, "SCMP_ACT_ALLOW");
    }

    /**
     * Has the kernel hand {@code syscalls} to jsysbox-fs's agent, whose socket runc connects to at create
     * and at each exec, sending the notify descriptor and the container's state (with its id, also the metadata).
     * A spec without a filter (Docker's seccomp=unconfined, the CRI's Unconfined) gets one that allows everything
     * else. A spec naming another agent keeps it (a filter has one listener): its containers see the host's sysinfo.
     */
    private static void notifyAgent(ObjectNode linux, String id, List<String> syscalls) {
        String agent = UnixChannels.SECCOMP_AGENT_SOCKET.toString();
        if (!linux.path("seccomp").isObject()) {
            ObjectNode allowAll = linux.putObject("seccomp");
            allowAll.put("defaultAction", "SCMP_ACT_ALLOW");
            allowAll.set("architectures", textArray(SECCOMP_ARCHITECTURES));
        }
        ObjectNode seccomp = linux.withObjectProperty("seccomp");
        String listener = seccomp.path("listenerPath").asText("");
        if (!listener.isEmpty() && !listener.equals(agent)) {
            return;
        }
        setAction(seccomp, syscalls, "SCMP_ACT_NOTIFY");
        seccomp.put("listenerPath", agent);
        seccomp.put("listenerMetadata", id);
    }

    /** Takes {@code syscalls} out of every rule (dropping rules left empty), then gives them {@code action}. */
    private static void setAction(ObjectNode seccomp, List<String> syscalls, String action) {
        Set<String> taken = Set.copyOf(syscalls);
        ArrayNode rules = seccomp.withArrayProperty("syscalls");
        for (int i = rules.size() - 1; i >= 0; i--) {
            JsonNode names = rules.get(i).path("names");
            for (int n = names.size() - 1; n >= 0; n--) {
                if (taken.contains(names.get(n).asText())) {
                    ((ArrayNode) names).remove(n);
                }
            }
            if (names.isEmpty()) {
                rules.remove(i);
            }
        }
        ObjectNode rule = rules.addObject();
        rule.set("names", textArray(syscalls));
        rule.put("action", action);
    }

    private static void rewriteMounts(ArrayNode mounts, PrepareResponse prepared) {
        for (JsonNode mount : mounts) {
            String destination = Path.of("/")
                    .resolve(mount.path("destination").asText())
                    .normalize()
                    .toString();
            // Inner engines write sysfs (network devices) and create cgroups; the user namespace and the
            // delegated cgroup directories bound what they can do.
            if (destination.equals("/sys") || destination.equals("/sys/fs/cgroup")) {
                removeText(mount.path("options"), "ro");
            }
        }
        for (MountReplacement replacement : prepared.getReplacementsList()) {
            if (replacement.getIndex() < 0 || replacement.getIndex() >= mounts.size()) {
                throw new IllegalArgumentException("the manager replaced mount #" + replacement.getIndex()
                        + " but the spec has " + mounts.size() + " mounts");
            }
            ((ObjectNode) mounts.get(replacement.getIndex())).put("source", replacement.getSource());
        }
        for (SpecialMount special : prepared.getSpecialMountsList()) {
            addBind(mounts, special, List.of("rbind", "rw"));
        }
        // Inside the special mounts: the shared inner image layers, read-only (and locked so: made so on the host).
        for (SpecialMount layer : prepared.getLayerMountsList()) {
            addBind(mounts, layer, List.of("bind", "ro"));
        }
    }

    private static void addBind(ArrayNode mounts, SpecialMount bind, List<String> options) {
        ObjectNode mount = mounts.addObject();
        mount.put("destination", bind.getDestination());
        mount.put("type", "bind");
        mount.put("source", bind.getSource());
        mount.set("options", textArray(options));
    }

    /**
     * The kernel locks a bind source's ro, nosuid, nodev and noexec flags in the container's user namespace (a less
     * privileged namespace may not clear them), and runc remounts a bind with exactly the spec's flags (for "ro", say):
     * without the locked ones that fails with EPERM, so {@code -v /dev/shm:/x:ro} could not start. Each bind gets its
     * source mount's locked flags added.
     */
    static void keepLockedMountFlags(ObjectNode spec, MountInfo mounts) {
        for (JsonNode node : spec.path("mounts")) {
            Path source = Path.of(node.path("source").asText("/"));
            if (!isBind(node) || !source.isAbsolute()) {
                continue;
            }
            mounts.containing(source.normalize()).ifPresent(entry -> {
                ArrayNode options = ((ObjectNode) node).withArrayProperty("options");
                for (String flag : LOCKED_MOUNT_FLAGS) {
                    boolean present = false;
                    for (JsonNode option : options) {
                        present |= option.asText().equals(flag);
                    }
                    if (entry.hasMountOption(flag) && !present) {
                        options.add(flag);
                    }
                }
            });
        }
    }

    private static List<String> notifiedWithoutMounts() {
        return NOTIFIED_SYSCALLS.stream()
                .filter(syscall -> !MOUNT_SYSCALLS.contains(syscall))
                .toList();
    }

    /** The container opts out of the shared inner image cache with JSYSBOX_INNER_IMAGE_CACHE=off in its environment. */
    static boolean innerImageCacheOff(JsonNode spec) {
        return hasEnvironmentEntry(spec, INNER_IMAGE_CACHE_OFF);
    }

    /** The container opts out of mount interception with JSYSBOX_MOUNT_INTERCEPTION=off in its environment. */
    static boolean mountInterceptionOff(JsonNode spec) {
        return hasEnvironmentEntry(spec, MOUNT_INTERCEPTION_OFF);
    }

    private static boolean hasEnvironmentEntry(JsonNode spec, String entry) {
        for (JsonNode variable : spec.path("process").path("env")) {
            if (variable.asText().equals(entry)) {
                return true;
            }
        }
        return false;
    }

    private static void placeholdKernelFileSystems(ArrayNode mounts, List<String> mountpoints) {
        Set<String> taken = new HashSet<>();
        for (JsonNode mount : mounts) {
            taken.add(Path.of("/")
                    .resolve(mount.path("destination").asText())
                    .normalize()
                    .toString());
        }
        for (String mountpoint : mountpoints) {
            if (taken.contains(mountpoint)) {
                continue;
            }
            ObjectNode mount = mounts.addObject();
            mount.put("destination", mountpoint);
            mount.put("type", "tmpfs");
            mount.put("source", "tmpfs");
            mount.set("options", textArray(List.of("ro", "nosuid", "nodev", "noexec", "size=0", "mode=0555")));
        }
    }

    private static void removeText(JsonNode array, String text) {
        if (!array.isArray()) {
            return;
        }
        for (int i = array.size() - 1; i >= 0; i--) {
            if (array.get(i).asText().equals(text)) {
                ((ArrayNode) array).remove(i);
            }
        }
    }

    /**
     * Docker asks for net.ipv4.ping_group_range "0 2147483647"; inside a user namespace the kernel rejects gids
     * the namespace does not map (EINVAL), so the range is cut to the container's gids.
     */
    private static void fitPingGroupRange(ObjectNode linux, IdRange gids) {
        JsonNode sysctl = linux.path("sysctl");
        String range = sysctl.path("net.ipv4.ping_group_range").asText("");
        String[] bounds = range.strip().split("\\s+");
        if (bounds.length != 2) {
            return;
        }
        long highest = gids.getSize() - 1;
        try {
            long low = Long.parseLong(bounds[0]), high = Long.parseLong(bounds[1]);
            if (high <= highest) {
                return;
            }
            ((ObjectNode) sysctl).put("net.ipv4.ping_group_range", Math.min(low, highest) + " " + highest);
        } catch (NumberFormatException e) {
            // runc reports a malformed value itself.
        }
    }
}
