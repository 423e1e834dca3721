package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.linux.MountInfo;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OCI spec rewrite that turns a Docker/runc container into a system container: its own user namespace
 * over the manager's ID range, root with every capability the host allows (bounded by that namespace),
 * seccomp that lets inner engines mount and unshare and hands sysinfo to jsysbox-fs's agent, writable sysfs and
 * cgroupfs, special mounts and the manager's ID-mapped sources. Pure: no I/O, inputs are never modified. What it
 * checks first is {@link SpecValidation}'s, what it asks the manager for {@link PrepareRequests}', what it keeps of the
 * author's spec {@link SpecOriginal}'s.
 */
public final class SpecTransformer {
    /**
     * In a container's environment: its mount(2) and umount2(2) go to the kernel unseen, and the manager neither locks
     * its virtual files nor protects its mounts. Its procfs mounts inside (an inner container's) then show the host's
     * files. For measuring what interception costs, and for software that must unmount what the runtime mounted.
     */
    static final String MOUNT_INTERCEPTION_OFF = "JSYSBOX_MOUNT_INTERCEPTION=off";

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

    private static final List<String> LOCKED_MOUNT_FLAGS = List.of("ro", "nosuid", "nodev", "noexec");
    /** The environment variable that keeps the engine's capabilities (see {@link #grantCapabilities}). */
    static final String HONOR_CAPABILITIES = "JSYSBOX_HONOR_CAPS";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecTransformer() {}

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
            Prepare.Result prepared,
            List<String> hostCapabilities,
            List<String> kernelFsMountpoints) {
        ObjectNode result = SpecOriginal.of(spec);
        OciSpec rewritten = OciSpec.of(result);
        SpecOriginal.save(rewritten);
        ObjectNode annotations = rewritten.annotationsToWrite();
        ObjectNode linux = rewritten.linuxToWrite();

        addNamespaces(rewritten, "user", "cgroup");
        boolean sharesUserNamespace = prepared.userNamespacePid() > 0;
        if (sharesUserNamespace) {
            joinSharedNamespaces(rewritten, prepared.userNamespacePid());
        }
        if (pod.isSandbox()) {
            ownPodNamespaces(rewritten);
        }
        linux.set("uidMappings", mappings(prepared.uids()));
        linux.set("gidMappings", mappings(prepared.gids()));
        grantCapabilities(rewritten.processToWrite(), hostCapabilities);
        keepInheritedOomScore(rewritten.processToWrite());
        if (linux.path("seccomp").isObject()) {
            allowSystemContainerSyscalls(linux.withObjectProperty("seccomp"));
        } else {
            annotations.put(SpecOriginal.ADDED_SECCOMP, "true");
        }
        notifyAgent(linux, id, mountInterceptionOff(result) ? notifiedWithoutMounts() : NOTIFIED_SYSCALLS);
        rewriteMounts(rewritten, prepared);
        // Joining a network namespace from the user namespace that owns it (a pod's, a shared one), sysfs mounts.
        if (rewritten.joinedNamespace("network").isPresent() && !sharesUserNamespace) {
            bindHostSysfs(rewritten);
        }
        placeholdKernelFileSystems(rewritten, kernelFsMountpoints);
        SpecDevices.bindNodes(linux, rewritten.mountsToWrite(), prepared.deviceNodes());
        removeText(linux.path("readonlyPaths"), "/proc/sys");
        if (!prepared.rootfsPath().isEmpty()) {
            rewritten.setRootPath(prepared.rootfsPath());
        }
        fitPingGroupRange(linux, prepared.gids());

        annotations.put(SpecOriginal.TRANSFORMED, "true");
        annotations.put(
                SpecOriginal.UID_RANGE,
                prepared.uids().start() + ":" + prepared.uids().size());
        annotations.put(
                SpecOriginal.GID_RANGE,
                prepared.gids().start() + ":" + prepared.gids().size());
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
    private static void ownPodNamespaces(OciSpec spec) {
        for (String type : POD_NAMESPACES.keySet()) {
            spec.namespace(type).ifPresent(namespace -> namespace.remove("path"));
        }
    }

    /**
     * A pod's container joins the sandbox's user namespace, and the pod's network, IPC and UTS namespaces as the
     * sandbox has them (runc joins the user namespace first, so only namespaces it owns can be joined after); so does
     * a container joining another jsysbox container's namespaces, with {@code initPid} that container's init.
     */
    private static void joinSharedNamespaces(OciSpec spec, long initPid) {
        String dir = "/proc/" + initPid + "/ns/";
        spec.namespace("user").orElseThrow().put("path", dir + "user"); // added before
        for (var shared : POD_NAMESPACES.entrySet()) {
            spec.namespace(shared.getKey())
                    .filter(namespace -> namespace.has("path"))
                    .ifPresent(namespace -> namespace.put("path", dir + shared.getValue()));
        }
    }

    /**
     * For a pod's sandbox, the network namespace the CRI made and configured (its spec as written, before the
     * rewrite), whose interfaces the manager moves into the sandbox's own; "" for any other container.
     */
    static String networkToAdopt(ObjectNode originalSpec, PodRole pod) {
        return pod.isSandbox()
                ? OciSpec.of(originalSpec).joinedNamespace("network").orElse("")
                : "";
    }

    /**
     * The kernel mounts a sysfs only for a process with CAP_SYS_ADMIN over the network namespace's owner: a container
     * joining a network namespace made outside its user namespace (a Kubernetes pod's, which the CRI makes before the
     * runtime runs) cannot. It gets the host's sysfs read-only instead, as a recursive bind.
     */
    private static void bindHostSysfs(OciSpec spec) {
        for (OciSpec.Mount mount : spec.mounts()) {
            if (mount.type().equals("sysfs")) {
                mount.json().put("type", "bind").put("source", "/sys");
                mount.json().set("options", OciSpec.textArray(List.of("rbind", "nosuid", "noexec", "nodev", "ro")));
            }
        }
    }

    private static void addNamespaces(OciSpec spec, String... types) {
        for (String type : types) {
            if (spec.namespace(type).isEmpty()) {
                spec.linuxToWrite().withArrayProperty("namespaces").addObject().put("type", type);
            }
        }
    }

    private static ArrayNode mappings(HostRange range) {
        ArrayNode mappings = JSON.createArrayNode();
        mappings.addObject().put("containerID", 0).put("hostID", range.start()).put("size", range.size());
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
        capabilities.set("bounding", OciSpec.textArray(hostCapabilities));
        if (process.path("user").path("uid").asLong(0) != 0) {
            return;
        }
        capabilities.set("effective", OciSpec.textArray(hostCapabilities));
        capabilities.set("permitted", OciSpec.textArray(hostCapabilities));
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
            allowAll.set("architectures", OciSpec.textArray(SECCOMP_ARCHITECTURES));
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
            if (!(rules.get(i).path("names") instanceof ArrayNode names)) {
                continue; // runc reports a rule without names itself
            }
            for (int n = names.size() - 1; n >= 0; n--) {
                if (taken.contains(names.get(n).asText())) {
                    names.remove(n);
                }
            }
            if (names.isEmpty()) {
                rules.remove(i);
            }
        }
        ObjectNode rule = rules.addObject();
        rule.set("names", OciSpec.textArray(syscalls));
        rule.put("action", action);
    }

    private static void rewriteMounts(OciSpec spec, Prepare.Result prepared) {
        for (OciSpec.Mount mount : spec.mounts()) {
            // Inner engines write sysfs (network devices) and create cgroups; the user namespace and the
            // delegated cgroup directories bound what they can do.
            if (mount.destination().equals(Path.of("/sys"))
                    || mount.destination().equals(Path.of("/sys/fs/cgroup"))) {
                removeText(mount.json().path("options"), "ro");
            }
        }
        ArrayNode mounts = spec.mountsToWrite();
        for (Prepare.MountReplacement replacement : prepared.replacements()) {
            if (replacement.index() < 0
                    || replacement.index() >= mounts.size()
                    || !(mounts.get(replacement.index()) instanceof ObjectNode replaced)) {
                throw new IllegalArgumentException("the manager replaced mount #" + replacement.index()
                        + " but the spec has " + mounts.size() + " mounts");
            }
            replaced.put("source", replacement.source());
        }
        for (Prepare.SpecialMount special : prepared.specialMounts()) {
            addBind(mounts, special, List.of("rbind", "rw"));
        }
        // Inside the special mounts: the shared inner image layers, read-only (and locked so: made so on the host).
        for (Prepare.SpecialMount layer : prepared.layerMounts()) {
            addBind(mounts, layer, List.of("bind", "ro"));
        }
    }

    private static void addBind(ArrayNode mounts, Prepare.SpecialMount bind, List<String> options) {
        ObjectNode mount = mounts.addObject();
        mount.put("destination", bind.destination());
        mount.put("type", "bind");
        mount.put("source", bind.source());
        mount.set("options", OciSpec.textArray(options));
    }

    /**
     * The kernel locks a bind source's ro, nosuid, nodev and noexec flags in the container's user namespace (a less
     * privileged namespace may not clear them), and runc remounts a bind with exactly the spec's flags (for "ro", say):
     * without the locked ones that fails with EPERM, so {@code -v /dev/shm:/x:ro} could not start. Each bind gets its
     * source mount's locked flags added.
     */
    static void keepLockedMountFlags(ObjectNode spec, MountInfo mounts) {
        for (OciSpec.Mount mount : OciSpec.of(spec).mounts()) {
            Path source = Path.of(mount.json().path("source").asText("/"));
            if (!mount.isBind() || !source.isAbsolute()) {
                continue;
            }
            mounts.containing(source.normalize()).ifPresent(entry -> {
                for (String flag : LOCKED_MOUNT_FLAGS) {
                    if (entry.hasMountOption(flag) && !mount.hasOption(flag)) {
                        mount.optionsToWrite().add(flag);
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

    /** The container opts out of mount interception with JSYSBOX_MOUNT_INTERCEPTION=off in its environment. */
    static boolean mountInterceptionOff(ObjectNode spec) {
        return OciSpec.of(spec).hasEnvironmentEntry(MOUNT_INTERCEPTION_OFF);
    }

    private static void placeholdKernelFileSystems(OciSpec spec, List<String> mountpoints) {
        Set<String> taken = new HashSet<>();
        for (OciSpec.Mount mount : spec.mounts()) {
            taken.add(mount.destination().toString());
        }
        ArrayNode mounts = spec.mountsToWrite();
        for (String mountpoint : mountpoints) {
            if (taken.contains(mountpoint)) {
                continue;
            }
            ObjectNode mount = mounts.addObject();
            mount.put("destination", mountpoint);
            mount.put("type", "tmpfs");
            mount.put("source", "tmpfs");
            mount.set("options", OciSpec.textArray(List.of("ro", "nosuid", "nodev", "noexec", "size=0", "mode=0555")));
        }
    }

    private static void removeText(JsonNode node, String text) {
        if (!(node instanceof ArrayNode array)) {
            return;
        }
        for (int i = array.size() - 1; i >= 0; i--) {
            if (array.get(i).asText().equals(text)) {
                array.remove(i);
            }
        }
    }

    /**
     * Docker asks for net.ipv4.ping_group_range "0 2147483647"; inside a user namespace the kernel rejects gids
     * the namespace does not map (EINVAL), so the range is cut to the container's gids.
     */
    private static void fitPingGroupRange(ObjectNode linux, HostRange gids) {
        if (!(linux.path("sysctl") instanceof ObjectNode sysctl)) {
            return;
        }
        String range = sysctl.path("net.ipv4.ping_group_range").asText("");
        String[] bounds = range.strip().split("\\s+");
        if (bounds.length != 2) {
            return;
        }
        long highest = gids.size() - 1;
        try {
            long low = Long.parseLong(bounds[0]), high = Long.parseLong(bounds[1]);
            if (high <= highest) {
                return;
            }
            sysctl.put("net.ipv4.ping_group_range", Math.min(low, highest) + " " + highest);
        } catch (NumberFormatException e) {
            // runc reports a malformed value itself.
        }
    }
}
