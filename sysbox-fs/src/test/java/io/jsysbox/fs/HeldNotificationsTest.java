package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeldNotificationsTest {
    @TempDir
    Path temp;

    @Test
    void theNextDaemonTriesTheLastIdEachSupervisorReceivedAndTheFewAfterIt() throws Exception {
        Path file = temp.resolve(HeldNotifications.FILE);
        HeldNotifications first = HeldNotifications.open(file);
        assertEquals(Set.of(), first.leftBehind("c1"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        int init = first.claim("c1");
        int exec = first.claim("c1");
        int other = first.claim("c2");
        int ended = first.claim("c2");
        int quiet = first.claim("c3");
        assertNotEquals(init, exec);
        first.received(init, 0x7fff_ffff_ffff_fff0L);
        first.received(init, 0x7fff_ffff_ffff_fff1L); // only the last received counts
        first.received(exec, -42L);
        first.received(other, 7L);
        first.received(ended, 1000L);
        first.release(ended); // its supervisor ended: nothing of it is held
        // c3's supervisor received nothing; the first daemon dies here, without a word: the mapping is all there is.
        HeldNotifications next = HeldNotifications.open(file);

        assertEquals(
                union(sweep(0x7fff_ffff_ffff_fff1L), sweep(-42L)),
                next.leftBehind("c1"),
                "the ids run on past 2^63 and through 0 as the kernel's u64 does");
        assertEquals(sweep(7L), next.leftBehind("c2"));
        assertEquals(Set.of(), next.leftBehind("c3"));
        assertEquals(Set.of(), HeldNotifications.open(file).leftBehind("c1"), "cleared once taken");
        assertNotEquals(-1, quiet);
    }

    @Test
    void slotsRunOutAndComeBack() throws Exception {
        HeldNotifications held = HeldNotifications.open(temp.resolve(HeldNotifications.FILE));
        for (int i = 0; i < HeldNotifications.SLOTS; i++) {
            assertNotEquals(-1, held.claim("c"));
        }
        assertEquals(-1, held.claim("c"), "all taken: that supervisor records nothing");
        held.received(-1, 5L); // and recording into no slot does nothing
        held.release(17);
        assertEquals(17, held.claim("c"));
    }

    private static Set<Long> sweep(long last) {
        return LongStream.rangeClosed(0, HeldNotifications.SWEEP)
                .mapToObj(next -> last + next)
                .collect(Collectors.toSet());
    }

    private static Set<Long> union(Set<Long> a, Set<Long> b) {
        return Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
    }
}
