package io.jsysbox.installer;

import io.jsysbox.api.AppArmorProfile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/** One line of {@code jsysbox doctor}: a prerequisite and whether the host meets it. Pure. */
record Finding(String check, Verdict verdict, String text) {
    enum Verdict {
        OK,
        NOTE,
        FIX
    }

    static Finding ok(String check, String detail) {
        return new Finding(check, Verdict.OK, detail);
    }

    static Finding note(String check, String detail) {
        return new Finding(check, Verdict.NOTE, detail);
    }

    static Finding fix(String check, String whatToDo) {
        return new Finding(check, Verdict.FIX, whatToDo);
    }

    /** {@code check: ok (detail)}, {@code check: note: detail} or {@code check: FIX: what to do}. */
    String line() {
        return switch (verdict) {
            case OK -> check + ": ok" + (text.isEmpty() ? "" : " (" + text + ")");
            case NOTE -> check + ": note: " + text;
            case FIX -> check + ": FIX: " + text;
        };
    }

    static boolean allFine(List<Finding> findings) {
        return findings.stream().noneMatch(f -> f.verdict() == Verdict.FIX);
    }

    /** The kernel check: 5.12 brings ID-mapped mounts, 5.19 ID-mapped overlayfs layers (else the rootfs is chowned). */
    static Finding kernel(KernelVersion version) {
        if (version.atLeast(5, 19)) {
            return ok("kernel", version + ", ID-mapped mounts and ID-mapped overlay layers");
        }
        if (version.atLeast(5, 12)) {
            return note(
                    "kernel",
                    version
                            + " has ID-mapped mounts but not ID-mapped overlay layers (5.19): container rootfs are "
                            + "chowned, slower");
        }
        return fix("kernel", version + " lacks ID-mapped mounts: boot a kernel >= 5.12 (>= 5.19 recommended)");
    }

    /** Each jsysbox container needs a user namespace of its own; a low limit caps how many can run. */
    static Finding userNamespaces(String maxUserNamespaces) {
        long max = maxUserNamespaces.matches("\\d{1,18}") ? Long.parseLong(maxUserNamespaces) : 0;
        String raise = "sysctl -w user.max_user_namespaces=15000";
        if (max == 0) {
            return fix("user namespaces", "disabled (max_user_namespaces=" + maxUserNamespaces + "): " + raise);
        }
        return max < 100
                ? note("user namespaces", "only " + max + " allowed, and each jsysbox container uses one: " + raise)
                : ok("user namespaces", "max_user_namespaces=" + max);
    }

    /**
     * The programs' AOT caches: {@code trainedOn} maps each program to the CPU feature list its cache was trained on
     * (app.aot.cpu; absent: no cache). A cache holds code for its training CPU, so the launchers skip it on any other
     * CPU (a golden image, a copied install): the program starts, slower, until install.sh retrains it here.
     */
    static Finding aotCaches(SortedMap<String, Optional<String>> trainedOn, String thisCpu) {
        String check = "AOT caches";
        List<String> missing = trainedOn.entrySet().stream()
                .filter(e -> e.getValue().isEmpty())
                .map(Map.Entry::getKey)
                .toList();
        List<String> foreign = trainedOn.entrySet().stream()
                .filter(e -> e.getValue().isPresent() && !e.getValue().get().equals(thisCpu))
                .map(Map.Entry::getKey)
                .toList();
        if (foreign.isEmpty() && missing.isEmpty()) {
            return ok(check, "trained on this CPU");
        }
        String retrain = "; run installer/install.sh on this host to train them here";
        return note(
                check,
                (foreign.isEmpty()
                                ? ""
                                : String.join(", ", foreign) + " trained on another CPU, so unused (slower starts)")
                        + (foreign.isEmpty() || missing.isEmpty() ? "" : "; ")
                        + (missing.isEmpty() ? "" : "none for " + String.join(", ", missing))
                        + retrain);
    }

    /** jsysbox-fs speaks the kernel's FUSE protocol on /dev/fuse itself (no libfuse, no fusermount). */
    static Finding devFuse(boolean present) {
        return present
                ? ok("/dev/fuse", "")
                : fix(
                        "/dev/fuse",
                        "missing, and jsysbox-fs serves the containers' /proc and /sys files through it: modprobe fuse "
                                + "(kernel option CONFIG_FUSE_FS)");
    }

    /**
     * Kubernetes: whether containerd has the runtime handler jsysbox ({@code install --containerd}) and, if so, whether
     * ip(8) is there, with which the manager moves each pod's network into the pod's own namespace.
     */
    /**
     * jsysbox-runc's launcher asks the manager to create containers through OpenBSD netcat; without it every create
     * starts the Java CLI instead, which works the same but pays a JVM.
     */
    static Finding launcher(boolean netcatPresent) {
        return netcatPresent
                ? ok("launcher", "containers are created without a JVM (nc.openbsd)")
                : note(
                        "launcher",
                        "nc.openbsd not found: every create starts the Java CLI (~150 ms more): apt-get install "
                                + "netcat-openbsd");
    }

    static Finding kubernetes(boolean handlerRegistered, boolean ipPresent) {
        if (!handlerRegistered) {
            return note(
                    "kubernetes",
                    "containerd has no runtime handler jsysbox: 'jsysbox install --containerd' for RuntimeClass jsysbox");
        }
        return ipPresent
                ? ok("kubernetes", "containerd runtime handler jsysbox in " + HostLayout.CONTAINERD_CONFIG)
                : fix("kubernetes", "ip not found, and pods get their network through it: apt-get install iproute2");
    }

    /** The type jsysbox-fs mounts (fuse.<subtype>, as mountinfo shows it). */
    static final String FS_TYPE = "fuse.jsysbox-fs";

    /**
     * Whether jsysbox-fs's mount at {@code dir} is live: {@code types} are the mounts at {@code dir} (mountinfo
     * order, last on top), {@code read} the outcome of reading a virtual file through it. A FUSE mount whose daemon
     * died stays in the mount table and answers every access with ENOTCONN.
     */
    static Finding fsMount(Path dir, List<String> types, Commands.Result read) {
        String check = "jsysbox-fs mount";
        if (types.isEmpty()) {
            return fix(check, "nothing mounted at " + dir + ": jsysbox start (log: " + Daemon.FS.log() + ")");
        }
        String top = types.getLast();
        if (!top.equals(FS_TYPE)) {
            return fix(
                    check,
                    dir + " has a " + top + " mount on top, not jsysbox-fs's: umount " + dir
                            + ", then jsysbox restart");
        }
        if (read.ok()) {
            return ok(check, top + " at " + dir + ", serving");
        }
        if (FsMount.disconnected(read)) {
            return fix(
                    check,
                    dir
                            + " is left from a jsysbox-fs that died (ENOTCONN): jsysbox start (it detaches such a "
                            + "mount first), or umount -l "
                            + dir);
        }
        if (read.exit() == 124) {
            return fix(check, "reading a file under " + dir + " hangs: jsysbox restart");
        }
        return fix(
                check,
                "reading a file under " + dir + " fails (" + read.reason() + "): see " + Daemon.FS.log()
                        + ", then jsysbox restart");
    }

    /**
     * AppArmor: where it is on, jsysbox-runc gives containers jsysbox's profile in place of the engines' defaults and
     * refuses them while it is not loaded. {@code mode}: the mode the kernel has it loaded in, empty if not loaded.
     */
    static Finding appArmor(
            boolean enabled, boolean parserPresent, AppArmorSetup.ProfileFile file, Optional<String> mode) {
        String check = "apparmor";
        String profile = AppArmorProfile.NAME;
        if (!enabled) {
            return ok(check, "off in this kernel: containers run without an AppArmor profile");
        }
        if (!parserPresent) {
            return note(
                    check,
                    "on, but apparmor_parser is missing, so the engines apply no profile and jsysbox cannot load "
                            + profile
                            + ": containers run unconfined; apt-get install apparmor, then jsysbox install, to confine "
                            + "them");
        }
        String load = "apparmor_parser -r -W " + AppArmorSetup.PROFILE_FILE;
        return switch (file) {
            case MISSING -> fix(check, "on, but " + AppArmorSetup.PROFILE_FILE + " is missing: jsysbox install");
            case OUTDATED ->
                fix(
                        check,
                        AppArmorSetup.PROFILE_FILE
                                + " is not this jsysbox's profile: jsysbox install (it rewrites and reloads it)");
            case CURRENT ->
                mode.map(m -> m.equals("enforce")
                                ? ok(
                                        check,
                                        "on, profile " + profile
                                                + " loaded (enforce): containers run under it unless given another "
                                                + "profile")
                                : note(
                                        check,
                                        "profile " + profile + " is loaded in " + m + " mode, which only logs denials: "
                                                + load + " to enforce it"))
                        .orElseGet(() -> fix(
                                check,
                                "on, but profile " + profile + " is not loaded, so jsysbox refuses containers: "
                                        + load));
        };
    }

    /**
     * SELinux, from /sys/fs/selinux/enforce ("" when SELinux is not enabled). jsysbox has not been tested under
     * SELinux:
     * runc gets Docker's labels unchanged, but the manager's rootfs overlay and jsysbox-fs's files are mounted with
     * no SELinux context for them.
     */
    static Finding selinux(String enforce) {
        return switch (enforce.strip()) {
            case "" -> ok("selinux", "not enabled");
            case "0" ->
                note("selinux", "permissive: jsysbox is not tested under SELinux; denials are logged, not enforced");
            default ->
                fix(
                        "selinux",
                        "enforcing, which jsysbox does not support (untested; its rootfs overlay and jsysbox-fs's "
                                + "files carry no container SELinux labels, so expect denials): setenforce 0, or use a "
                                + "host without SELinux enforcing");
        };
    }
}
