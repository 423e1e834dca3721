package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's socket against what is not runc's message: each connection is read, dropped and closed, and the agent
 * takes the next one. (Descriptors cannot be passed from Java: the smoke test with runc covers the notify path.)
 */
class SeccompAgentTest {
    @TempDir
    Path temp;

    @Test
    void badMessagesAreDroppedAndTheAgentGoesOn() throws Exception {
        Path socket = temp.resolve("run/seccomp.sock");
        Files.writeString(Files.createDirectories(socket.getParent()).resolve("seccomp.sock"), "stale");
        SeccompAgent.serve(socket, (id, pid) -> Optional.empty(), noMounts(), noGuard());
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), "host root's alone");

        for (String message : new String[] {
            "",
            "not json",
            "[1, 2]",
            "{\"fds\":[\"seccompFd\"],\"metadata\":\"c1\"}",
            "{\"fds\":[\"seccompFd\"]}",
            "\u0000\u00ff"
        }) {
            assertEquals(
                    -1,
                    sendAndAwaitClose(socket, message.getBytes(StandardCharsets.UTF_8)),
                    "the agent read '" + message + "' and closed the connection");
        }
        byte[] huge = new byte[SeccompAgent.MAX_MESSAGE + 4096];
        try {
            sendAndAwaitClose(socket, huge);
        } catch (IOException closedWhileWriting) {
            // the agent stops reading past its bound and closes: the write fails, as it should
        }
        assertEquals(-1, sendAndAwaitClose(socket, "{}".getBytes(StandardCharsets.UTF_8)), "and still serves");
    }

    /** runc leaves the connection open (an exec's runc while the process runs): the message ends with its JSON. */
    @Test
    void aCompleteMessageIsTakenWithoutWaitingForTheEndOfTheStream() throws Exception {
        Path socket = temp.resolve("seccomp.sock");
        SeccompAgent.serve(socket, (id, pid) -> Optional.empty(), noMounts(), noGuard());
        byte[] message = "{\"fds\":[\"seccompFd\"],\"state\":{\"id\":\"c1\"}}".getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        assertEquals(-1, sendAndAwaitClose(socket, message, false));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "taken at once, not after the 5 s limit");
    }

    /** Sends {@code message}, ends the stream and reads until the agent closes the connection: -1 then. */
    private static int sendAndAwaitClose(Path socket, byte[] message) throws Exception {
        return sendAndAwaitClose(socket, message, true);
    }

    private static int sendAndAwaitClose(Path socket, byte[] message, boolean endStream) throws Exception {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer out = ByteBuffer.wrap(message);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            if (endStream) {
                channel.shutdownOutput();
            }
            return CompletableFuture.supplyAsync(() -> {
                        try {
                            return channel.read(ByteBuffer.allocate(1));
                        } catch (IOException e) {
                            return -1; // reset by the agent: closed as well
                        }
                    })
                    .get(10, TimeUnit.SECONDS);
        }
    }

    private static MountGuard noGuard() {
        return new MountGuard(id -> Optional.empty(), 0);
    }

    private KernelFsMounter noMounts() {
        return new KernelFsMounter(temp, "nsenter", "mount", (id, fs) -> Optional.empty());
    }
}
