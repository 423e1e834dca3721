package io.jsysbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
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
     * A bound unix datagram socket, as systemd's notify socket is; receives without waiting (a send is synchronous).
     */
    static final class Receiver implements AutoCloseable {
        interface Calls extends Library {
            Calls C = Native.load("c", Calls.class);

            int socket(int domain, int type, int protocol);

            int bind(int socket, byte[] address, int length);

            long recvmsg(int socket, Pointer message, int flags);

            int close(int fd);
        }

        private final int socket;

        Receiver(String address) throws LinuxException {
            socket = Calls.C.socket(1, 2 | Linux.O_CLOEXEC, 0); // AF_UNIX, SOCK_DGRAM
            if (socket < 0) {
                throw new LinuxException("socket", Native.getLastError());
            }
            byte[] sockaddr = Linux.unixSocketAddress(address);
            if (Calls.C.bind(socket, sockaddr, sockaddr.length) != 0) {
                throw new LinuxException("bind " + address, Native.getLastError());
            }
        }

        Received receive() throws LinuxException {
            final int msgDontWait = 0x40;
            final int msgCmsgCloexec = 0x40000000;
            try (Memory data = new Memory(4096);
                    Memory iovec = new Memory(16);
                    Memory control = new Memory(256);
                    Memory header = new Memory(56)) {
                iovec.setPointer(0, data);
                iovec.setLong(8, data.size());
                control.clear();
                header.clear();
                header.setPointer(16, iovec);
                header.setLong(24, 1);
                header.setPointer(32, control);
                header.setLong(40, control.size());
                long n = Calls.C.recvmsg(socket, header, msgDontWait | msgCmsgCloexec);
                if (n < 0) {
                    throw new LinuxException("recvmsg", Native.getLastError());
                }
                List<Fd> fds = new ArrayList<>();
                long controlLength = header.getLong(40);
                if (controlLength > 0 && control.getInt(8) == 1 && control.getInt(12) == 1) { // SOL_SOCKET, SCM_RIGHTS
                    for (int i = 0; i < (control.getLong(0) - 16) / 4; i++) {
                        fds.add(new Fd(control.getInt(16 + 4L * i)));
                    }
                }
                return new Received(new String(data.getByteArray(0, (int) n), StandardCharsets.UTF_8), fds);
            }
        }

        @Override
        public void close() {
            Calls.C.close(socket);
        }
    }
}
