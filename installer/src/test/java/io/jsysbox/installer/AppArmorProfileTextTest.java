package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jsysbox.api.AppArmorProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The profile the installer ships: named as the runtime applies it, and accepted by apparmor_parser (compiled, not
 * loaded: this needs the apparmor package, not AppArmor in the kernel; skipped where apparmor_parser is missing).
 */
class AppArmorProfileTextTest {
    @Test
    void declaresTheProfileTheRuntimeApplies() {
        assertTrue(
                AppArmorSetup.shippedProfile().contains("\nprofile " + AppArmorProfile.NAME + " flags="),
                "the shipped profile must be named " + AppArmorProfile.NAME);
    }

    @Test
    void apparmorParserCompilesIt() throws Exception {
        assumeTrue(AppArmorSetup.parser().isPresent(), "apparmor_parser not installed (apt-get install apparmor)");
        Path file = Files.createTempFile("jsysbox-container", ".apparmor");
        try {
            Files.writeString(file, AppArmorSetup.shippedProfile());
            // -Q: compile without loading into the kernel; -K: leave the cache alone.
            Commands.Result parse = Commands.run(
                    Duration.ofMinutes(1),
                    List.of(AppArmorSetup.parser().get().toString(), "-Q", "-K", file.toString()));
            assertTrue(parse.ok(), "apparmor_parser rejects the profile: " + parse.reason());
        } finally {
            Files.delete(file);
        }
    }
}
