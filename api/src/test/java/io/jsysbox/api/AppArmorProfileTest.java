package io.jsysbox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class AppArmorProfileTest {
    @Test
    void enabledOnlyWhenTheKernelSaysY() {
        assertTrue(AppArmorProfile.enabled("Y\n"));
        assertFalse(AppArmorProfile.enabled("N\n"));
        assertFalse(AppArmorProfile.enabled(""));
    }

    @Test
    void modeIsReadFromTheKernelsProfileList() {
        String profiles = """
                docker-default (enforce)
                jsysbox-container-old (enforce)
                /usr/bin/man (enforce)
                jsysbox-container (complain)
                """;
        assertEquals(Optional.of("complain"), AppArmorProfile.mode(profiles));
        assertEquals(
                Optional.empty(), AppArmorProfile.mode("docker-default (enforce)\njsysbox-containers (enforce)\n"));
        assertEquals(Optional.empty(), AppArmorProfile.mode(""));
    }
}
