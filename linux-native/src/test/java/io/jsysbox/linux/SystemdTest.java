package io.jsysbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The pure halves of the systemd protocol: the LISTEN_* variables and the notification text. */
class SystemdTest {
    private static final long PID = 4242;

    private static OptionalInt fuse(Map<String, String> environment) {
        return Systemd.passedDescriptor(environment, PID, "fuse");
    }

    @Test
    void descriptorsByPrefixKeepTheirOrderAndRepeatedNames() {
        Map<String, String> environment = Map.of(
                "LISTEN_PID", "4242", "LISTEN_FDS", "4", "LISTEN_FDNAMES", "fuse:seccomp.a.1:seccomp.b.1:seccomp.a.1");
        assertEquals(
                List.of(
                        new Systemd.Passed("seccomp.a.1", 4),
                        new Systemd.Passed("seccomp.b.1", 5),
                        new Systemd.Passed("seccomp.a.1", 6)),
                Systemd.passedDescriptors(environment, PID, "seccomp."));
        assertEquals(
                List.of(),
                Systemd.passedDescriptors(
                        Map.of("LISTEN_PID", "1", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "seccomp.a.1"), PID, "seccomp."),
                "passed to another process");
    }

    @Test
    void aStoreOnlyNotificationNamesItsDescriptor() {
        assertEquals(
                "FDSTORE=1\nFDNAME=seccomp.a.1",
                Systemd.Notification.store("seccomp.a.1", 7).text());
        assertEquals(7, Systemd.Notification.store("seccomp.a.1", 7).storedFd());
    }

    @Test
    void namedDescriptorsCountFromThreeInOrder() {
        assertEquals(
                OptionalInt.of(3), fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "fuse")));
        assertEquals(
                OptionalInt.of(4),
                fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "other:fuse")));
    }

    @Test
    void noDescriptorWhenNotPassedToThisProcess() {
        assertEquals(OptionalInt.empty(), fuse(Map.of()));
        // Inherited by a child: the variables name its parent.
        assertEquals(OptionalInt.empty(), fuse(Map.of("LISTEN_PID", "1", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "fuse")));
        assertEquals(OptionalInt.empty(), fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "0", "LISTEN_FDNAMES", "")));
        assertEquals(
                OptionalInt.empty(), fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "other")));
        // Unnamed (socket activation without FileDescriptorName=) or names from an older systemd: nothing to trust.
        assertEquals(OptionalInt.empty(), fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "1")));
    }

    @Test
    void malformedVariablesMeanNoDescriptor() {
        assertEquals(
                OptionalInt.empty(), fuse(Map.of("LISTEN_PID", "4242x", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "fuse")));
        assertEquals(
                OptionalInt.empty(), fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "-1", "LISTEN_FDNAMES", "fuse")));
        assertEquals(
                OptionalInt.empty(),
                fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "99999999999", "LISTEN_FDNAMES", "fuse")));
        // Count and names disagree.
        assertEquals(
                OptionalInt.empty(),
                fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "fuse:fuse")));
        assertEquals(
                OptionalInt.empty(), fuse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "fuse")));
    }

    @Test
    void readyCarriesAOneLineStatus() {
        Systemd.Notification ready = Systemd.Notification.ready("serving 12 files\nat /x");
        assertEquals("READY=1\nSTATUS=serving 12 files at /x", ready.text());
        assertEquals(-1, ready.storedFd());
    }

    @Test
    void storingNamesTheDescriptor() {
        Systemd.Notification stored = Systemd.Notification.ready("up").storing("fuse", 7);
        assertEquals("READY=1\nSTATUS=up\nFDSTORE=1\nFDNAME=fuse", stored.text());
        assertEquals(7, stored.storedFd());
    }

    @Test
    void storingRefusesWhatSystemdWouldReject() {
        Systemd.Notification ready = Systemd.Notification.ready("up");
        assertThrows(IllegalArgumentException.class, () -> ready.storing("a:b", 7));
        assertThrows(IllegalArgumentException.class, () -> ready.storing("", 7));
        assertThrows(IllegalArgumentException.class, () -> ready.storing("x".repeat(256), 7));
        assertThrows(IllegalArgumentException.class, () -> ready.storing("fuse", -1));
        assertThrows(IllegalStateException.class, () -> ready.storing("fuse", 7).storing("more", 8));
    }

    @Test
    void withoutNotifySocketNothingIsSent() throws Exception {
        assertFalse(Systemd.notify(Map.of(), Systemd.Notification.ready("up")));
    }

    @Test
    void socketAddressesAsTheKernelTakesThem() {
        assertEquals("[1, 0, 47, 114, 47, 115, 0]", Arrays.toString(Linux.unixSocketAddress("/r/s")));
        assertEquals("[1, 0, 0, 110]", Arrays.toString(Linux.unixSocketAddress("@n")));
        assertThrows(IllegalArgumentException.class, () -> Linux.unixSocketAddress("relative"));
        assertThrows(IllegalArgumentException.class, () -> Linux.unixSocketAddress("/" + "p".repeat(107)));
    }
}
