package io.jsysbox.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * jsysbox's AppArmor profile: its name, which the installer loads (its text ships with the installer) and the runtime
 * gives to containers, and how both tell from the kernel's files whether AppArmor is on and the profile loaded. Pure
 * apart from the paths, which each program reads with its own helpers.
 */
public final class AppArmorProfile {
    public static final String NAME = "jsysbox-container";
    /** "Y" when the AppArmor LSM is active in this kernel: what runc, Docker and containerd read too. */
    public static final Path ENABLED_PARAMETER = Path.of("/sys/module/apparmor/parameters/enabled");
    /** One line per profile loaded in the kernel, "NAME (MODE)"; readable by root where securityfs is mounted. */
    public static final Path LOADED_PROFILES = Path.of("/sys/kernel/security/apparmor/profiles");

    private AppArmorProfile() {}

    /** Whether the text of {@link #ENABLED_PARAMETER} says AppArmor is on ("" when the file is missing: no AppArmor). */
    public static boolean enabled(String enabledParameter) {
        return enabledParameter.startsWith("Y");
    }

    /** The mode the kernel lists jsysbox's profile in ("enforce", "complain"...), given {@link #LOADED_PROFILES}'s text; empty if not loaded. */
    public static Optional<String> mode(String loadedProfiles) {
        String prefix = NAME + " (";
        return loadedProfiles.lines().filter(line -> line.startsWith(prefix) && line.endsWith(")"))
                .map(line -> line.substring(prefix.length(), line.length() - 1)).findFirst();
    }
}
