package io.jsysbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sd_notify for real, without systemd and without root: the test binds the unix datagram socket systemd would, points
 * NOTIFY_SOCKET at it and reads what arrives, descriptors included.
 */
class SystemdNotifyTest {

    @Test
    void readyArrivesAtAPathSocket(@TempDir Path tmp) throws Exception {
        String address = tmp.resolve("notify").toString();
        try (Receiver systemd = new Receiver(address)) {
            assertTrue(Systemd.notify(Map.of("NOTIFY_SOCKET", address), Systemd.Notification.ready("serving")));
            Received message = systemd.receive();
            assertEquals("READY=1\nSTATUS=serving", message.text());
            assertEquals(List.of(), message.fds());
        }
    }

    @Test
    void storedDescriptorArrivesAsTheSameOpenFile(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("connection"), "the same file");
        String address = "@jsysbox-notify-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (Receiver systemd = new Receiver(address);
                Fd sent = Linux.openat2(null, file.toString(), Linux.O_RDONLY | Linux.O_CLOEXEC, 0)) {
            assertTrue(Systemd.notify(
                    Map.of("NOTIFY_SOCKET", address),
                    Systemd.Notification.ready("up").storing("fuse", sent.value())));
            Received message = systemd.receive();
            assertEquals("READY=1\nSTATUS=up\nFDSTORE=1\nFDNAME=fuse", message.text());
            assertEquals(1, message.fds().size());
            try (Fd received = message.fds().getFirst()) {
                assertNotEquals(sent.value(), received.value(), "the receiver gets a descriptor of its own");
                Linux.Stat original = Linux.stat(sent);
                Linux.Stat passed = Linux.stat(received);
                assertEquals(original.dev(), passed.dev());
                assertEquals(original.ino(), passed.ino());
                sent.close();
                assertEquals(
                        "the same file", Files.readString(received.procPath()), "it outlives the sender's descriptor");
            }
        }
    }

    record Received(String text, List<Fd> fds) {}

    /**
     * A bound unix datagram socket, as systemd's notify socket is; receives what was sent (a send is synchronous: it is
     * there already), waiting a few seconds at most.
     */
    static final class Receiver implements AutoCloseable {
        private final int socket;

        Receiver(String address) throws LinuxException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = Libc.callState(arena);
                socket = Libc.socket(state, 1, 2 | Linux.O_CLOEXEC, 0); // AF_UNIX, SOCK_DGRAM
                if (socket < 0) {
                    throw new LinuxException("socket", -socket);
                }
                byte[] sockaddr = Linux.unixSocketAddress(address);
                int bound = Libc.bind(state, socket, Libc.cString(arena, sockaddr), sockaddr.length);
                if (bound < 0) {
                    Libc.close(socket);
                    throw new LinuxException("bind " + address, -bound);
                }
            }
        }

        Received receive() throws LinuxException {
            int events = Libc.poll(socket, 5_000);
            if (events <= 0) {
                throw new LinuxException("poll", events < 0 ? -events : Errno.EAGAIN);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(4096);
                Libc.Received received = Libc.receive(socket, data, 8);
                if (received.bytes() < 0) {
                    throw new LinuxException("recvmsg", (int) -received.bytes());
                }
                List<Fd> fds = new ArrayList<>();
                for (int fd : received.fds()) {
                    fds.add(new Fd(fd));
                }
                byte[] text = data.asSlice(0, received.bytes()).toArray(ValueLayout.JAVA_BYTE);
                return new Received(new String(text, StandardCharsets.UTF_8), fds);
            }
        }

        @Override
        public void close() {
            Libc.close(socket);
        }
    }
}
