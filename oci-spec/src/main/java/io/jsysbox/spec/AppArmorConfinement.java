package io.jsysbox.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.api.AppArmorProfile;
import java.util.Set;

/**
 * Which AppArmor profile a system container's processes run under. The engines' default profiles deny mounts and
 * /proc/sys writes, which breaks inner engines and systemd; jsysbox's own profile ({@link AppArmorProfile#NAME}, loaded
 * by {@code jsysbox install}) takes their place. A profile the user chose is kept. Pure except {@link #host()}.
 */
public final class AppArmorConfinement {
    /**
     * What Docker, containerd's CRI and CRI-O put in a spec when the user chose no profile. A user who names one of
     * them explicitly gets jsysbox's profile too: the spec does not tell the two apart.
     */
    public static final Set<String> ENGINE_DEFAULTS =
            Set.of("docker-default", "cri-containerd.apparmor.d", "crio-default");

    static final String UNCONFINED = "unconfined";

    /** What the host's kernel says. */
    enum Host {
        APPARMOR_OFF,
        PROFILE_LOADED,
        PROFILE_NOT_LOADED
    }

    /** The profile for the container's process ("": none) and a warning to log ("": none). */
    record Choice(String profile, String warning) {}

    private AppArmorConfinement() {}

    /**
     * Two small kernel files, read on every create: no process is started, and a profile unloaded since the install
     * (apparmor_parser -R, aa-teardown) is noticed. Unreadable profiles (securityfs not mounted) count as not loaded.
     */
    static Host host() {
        if (!AppArmorProfile.enabledHere()) {
            return Host.APPARMOR_OFF;
        }
        return AppArmorProfile.loadedModeHere().isPresent() ? Host.PROFILE_LOADED : Host.PROFILE_NOT_LOADED;
    }

    /**
     * The profile for a container whose spec asks for {@code requested} ("" when it names none). An engine's default
     * or none becomes jsysbox's profile. "unconfined" is honoured with a warning: it takes away only the LSM layer, the
     * container's root stays an unprivileged host uid in its own user namespace (Sysbox runs every container so), and
     * whoever can pass it to the engine could run a privileged container anyway. Where AppArmor is on but jsysbox's
     * profile is not loaded, a container that would get it is refused: docker-default would break it, and none would
     * leave it unconfined without anyone having asked. A spec naming no profile keeps none then, as the engine meant.
     */
    static Choice forContainer(String requested, Host host) throws JsysboxException {
        if (host == Host.APPARMOR_OFF) {
            return new Choice(requested, "");
        }
        if (requested.equals(UNCONFINED)) {
            return new Choice(
                    UNCONFINED,
                    "container runs without AppArmor confinement, as asked (apparmor=unconfined): its root "
                            + "is still an unprivileged host uid in its own user namespace; drop the option to confine "
                            + "it with "
                            + AppArmorProfile.NAME);
        }
        if (!requested.isEmpty() && !ENGINE_DEFAULTS.contains(requested)) {
            return new Choice(requested, "");
        }
        // No profile asked for and none of ours loaded: the engine confines nothing here (AppArmor on in the kernel but
        // no apparmor userland, as on Debian sid's minimal installs), and runc's containers run so too.
        if (requested.isEmpty() && host == Host.PROFILE_NOT_LOADED) {
            return new Choice("", "");
        }
        if (host == Host.PROFILE_NOT_LOADED) {
            throw new JsysboxException("AppArmor is on, but jsysbox's AppArmor profile " + AppArmorProfile.NAME
                    + " is not loaded (it replaces " + requested
                    + ", which denies the mounts and /proc/sys writes system containers need): run 'jsysbox install', "
                    + "or 'apparmor_parser -r -W /etc/apparmor.d/" + AppArmorProfile.NAME + "'");
        }
        return new Choice(AppArmorProfile.NAME, "");
    }

    /**
     * Sets the profile of {@code spec}'s process to {@code choice}'s, and records it in an annotation, which
     * {@code runc state} shows to exec.
     */
    static void apply(ObjectNode spec, Choice choice) {
        ObjectNode process = spec.withObjectProperty("process");
        if (choice.profile().isEmpty()) {
            process.remove("apparmorProfile");
        } else {
            process.put("apparmorProfile", choice.profile());
        }
        spec.withObjectProperty("annotations").put(PROFILE_ANNOTATION, choice.profile());
    }

    static final String PROFILE_ANNOTATION = "io.jsysbox.apparmor-profile";

    /**
     * An exec'd process joins the container's confinement: Docker's exec process.json names docker-default (and the
     * launcher sends such execs here). It gets the container's profile by name, from {@code annotations} (runc
     * state's): measured on Debian 12 (runc 1.1.5), a docker exec whose process.json named no profile ran unconfined,
     * not under the container's. A container made before the annotation existed keeps the old way: no profile.
     */
    public static void forExec(ObjectNode process, JsonNode annotations) {
        String requested = process.path("apparmorProfile").asText();
        if (!requested.isEmpty() && !ENGINE_DEFAULTS.contains(requested)) {
            return;
        }
        String containers = annotations.path(PROFILE_ANNOTATION).asText();
        if (containers.isEmpty()) {
            process.remove("apparmorProfile");
        } else {
            process.put("apparmorProfile", containers);
        }
    }
}
