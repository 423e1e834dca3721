package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeldNotificationsTest {
    @TempDir
    Path temp;

    @Test
    void whatADaemonHeldWhenItEndedIsWhatTheNextOneFindsOnce() throws Exception {
        Path file = temp.resolve(HeldNotifications.FILE);
        HeldNotifications first = HeldNotifications.open(file);
        assertEquals(Set.of(), first.leftBehind());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        int answeredSlot = first.claim();
        int holdingSlot = first.claim();
        int endedSlot = first.claim();
        assertNotEquals(answeredSlot, holdingSlot);
        first.holding(answeredSlot, 0x8000_0000_0000_0001L);
        first.answered(answeredSlot);
        first.holding(holdingSlot, -42L);
        first.holding(endedSlot, 7L);
        first.release(endedSlot); // its supervisor ended: nothing of it is held
        // The first daemon dies here, without a word: the mapping is all there is.
        HeldNotifications next = HeldNotifications.open(file);
        assertEquals(Set.of(-42L), next.leftBehind());
        assertEquals(Set.of(), HeldNotifications.open(file).leftBehind(), "cleared once taken");
    }

    @Test
    void slotsRunOutAndComeBack() throws Exception {
        HeldNotifications held = HeldNotifications.open(temp.resolve(HeldNotifications.FILE));
        for (int i = 0; i < HeldNotifications.SLOTS; i++) {
            assertNotEquals(-1, held.claim());
        }
        assertEquals(-1, held.claim(), "all taken: that supervisor records nothing");
        held.holding(-1, 5L); // and recording into no slot does nothing
        held.release(17);
        assertEquals(17, held.claim());
    }
}
