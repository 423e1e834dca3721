package io.jsysbox.installer;

import io.jsysbox.api.AppArmorProfile;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * jsysbox's AppArmor profile on the host: installed to /etc/apparmor.d (where the boot-time apparmor service loads it
 * again after a reboot) and loaded where AppArmor is on, unloaded and removed on uninstall. Its text ships in the
 * installer jar (resource {@code jsysbox-container}); jsysbox-runc refuses containers that would need it while it is
 * not loaded.
 */
final class AppArmorSetup {
    /** /etc/apparmor.d/jsysbox-container against the profile this installer ships. */
    enum ProfileFile {
        MISSING,
        OUTDATED,
        CURRENT
    }

    static final Path PROFILE_FILE = Path.of("/etc/apparmor.d", AppArmorProfile.NAME);
    /** Writing a profile's name here unloads it: what {@code apparmor_parser -R} does, without needing the file. */
    private static final Path REMOVE = Path.of("/sys/kernel/security/apparmor/.remove");

    private static final List<Path> PARSERS =
            List.of(Path.of("/usr/sbin/apparmor_parser"), Path.of("/sbin/apparmor_parser"));

    private final PrintStream out;

    AppArmorSetup(PrintStream out) {
        this.out = out;
    }

    static String shippedProfile() {
        return HostFiles.resource(AppArmorProfile.NAME);
    }

    static Optional<Path> parser() {
        return PARSERS.stream().filter(Files::isExecutable).findFirst();
    }

    static ProfileFile profileFile() {
        if (!Files.exists(PROFILE_FILE)) {
            return ProfileFile.MISSING;
        }
        return HostFiles.readOrEmpty(PROFILE_FILE).equals(shippedProfile())
                ? ProfileFile.CURRENT
                : ProfileFile.OUTDATED;
    }

    /**
     * Writes the profile where it differs and (re)loads it when written or not loaded; nothing where AppArmor is off.
     */
    void install() {
        if (!AppArmorProfile.enabledHere()) {
            out.println("apparmor: off in this kernel, no profile to load");
            return;
        }
        Optional<Path> found = parser();
        if (found.isEmpty()) {
            // Then the engines apply no profile either (Docker checks for the parser), and containers run unconfined.
            out.println(
                    "apparmor: on in this kernel but apparmor_parser is missing, so no engine confines containers here "
                            + "and neither does jsysbox: apt-get install apparmor, then jsysbox install, to run them "
                            + "under "
                            + AppArmorProfile.NAME);
            return;
        }
        Path parser = found.get();
        boolean written = HostFiles.replaceIfDifferent(PROFILE_FILE, shippedProfile(), "rw-r--r--");
        if (written || AppArmorProfile.loadedModeHere().isEmpty()) {
            // -W also caches the compiled profile, which the boot-time apparmor service then loads without compiling.
            Commands.Result load = Commands.run(
                    Duration.ofMinutes(2), List.of(parser.toString(), "-r", "-W", PROFILE_FILE.toString()));
            if (!load.ok()) {
                throw new InstallException(parser + " -r -W " + PROFILE_FILE + " failed: "
                        + load.reason().replaceAll("\\s*\\R\\s*", "; ")
                        + " (is securityfs mounted at /sys/kernel/security?)");
            }
        }
        String mode = AppArmorProfile.loadedModeHere()
                .orElseThrow(() -> new InstallException("loaded " + PROFILE_FILE + " but the kernel does not list "
                        + AppArmorProfile.NAME + " in " + AppArmorProfile.LOADED_PROFILES
                        + ": mount securityfs there (mount -t securityfs securityfs /sys/kernel/security)"));
        out.println("apparmor: profile " + AppArmorProfile.NAME + " loaded (" + mode + "), from " + PROFILE_FILE);
    }

    /** Unloads the profile and removes its file and cached compilation. Called with no jsysbox container running. */
    void uninstall() {
        boolean loaded = AppArmorProfile.loadedModeHere().isPresent();
        if (loaded) {
            try {
                Files.writeString(REMOVE, AppArmorProfile.NAME);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot unload AppArmor profile " + AppArmorProfile.NAME + " through " + REMOVE, e);
            }
        }
        boolean installed = Files.exists(PROFILE_FILE);
        HostFiles.delete(PROFILE_FILE);
        parser().map(parser -> Commands.run(parser.toString(), "--print-cache-dir"))
                .filter(Commands.Result::ok)
                .ifPresent(cacheDir -> HostFiles.delete(Path.of(cacheDir.out().strip(), AppArmorProfile.NAME)));
        if (loaded || installed) {
            out.println("apparmor: profile " + AppArmorProfile.NAME + " unloaded and removed");
        }
    }
}
