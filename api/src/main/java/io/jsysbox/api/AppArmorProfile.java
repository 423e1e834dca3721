package io.jsysbox.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * jsysbox's AppArmor profile: its name, which the installer loads (its text ships with the installer) and the runtime
 * gives to containers, and how both tell from the kernel's files whether AppArmor is on and the profile loaded: the
 * parsers are pure, {@link #enabledHere()} and {@link #loadedModeHere()} read this host's files with them.
 */
public final class AppArmorProfile {
    public static final String NAME = "jsysbox-container";
    /** "Y" when the AppArmor LSM is active in this kernel: what runc, Docker and containerd read too. */
    public static final Path ENABLED_PARAMETER = Path.of("/sys/module/apparmor/parameters/enabled");
    /** One line per profile loaded in the kernel, "NAME (MODE)"; readable by root where securityfs is mounted. */
    public static final Path LOADED_PROFILES = Path.of("/sys/kernel/security/apparmor/profiles");

    private AppArmorProfile() {}

    /** Whether AppArmor is on in this host's kernel. */
    public static boolean enabledHere() {
        return enabled(readOrEmpty(ENABLED_PARAMETER));
    }

    /**
     * The mode this host's kernel has jsysbox's profile loaded in; empty if it is not, or if the list cannot be read
     * (securityfs not mounted; root only).
     */
    public static Optional<String> loadedModeHere() {
        return mode(readOrEmpty(LOADED_PROFILES));
    }

    /**
     * Whether the text of {@link #ENABLED_PARAMETER} says AppArmor is on ("" when the file is missing: no AppArmor).
     */
    public static boolean enabled(String enabledParameter) {
        return enabledParameter.startsWith("Y");
    }

    /**
     * The mode the kernel lists jsysbox's profile in ("enforce", "complain"...), given {@link #LOADED_PROFILES}'s text;
     * empty if not loaded.
     */
    public static Optional<String> mode(String loadedProfiles) {
        String prefix = NAME + " (";
        return loadedProfiles
                .lines()
                .filter(line -> line.startsWith(prefix) && line.endsWith(")"))
                .map(line -> line.substring(prefix.length(), line.length() - 1))
                .findFirst();
    }

    /** A kernel file that is missing or unreadable reads as "". */
    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
