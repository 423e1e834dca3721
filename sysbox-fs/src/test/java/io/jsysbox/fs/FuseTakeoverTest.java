package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.procfs.VirtualFileRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon that dies between reading a request and answering it, and the daemon that takes its connection over: the
 * caller of the lost request must get an answer (it waits in the kernel beyond the reach of signals, and so would its
 * container's stop). The dying daemon is this test reading /dev/fuse itself. Needs root (as CI runs it).
 */
class FuseTakeoverTest {
    @TempDir
    Path temp;

    private Path mnt;
    private FuseDevice device;
    private FuseFileSystem fs;
    private CompletableFuture<String> caller;

    @BeforeEach
    void mountWithoutReaders() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        mnt = Files.createDirectory(temp.resolve("mnt"));
        fs = new FuseFileSystem(
                new FsTree(VirtualFileRegistry.standard(), 0),
                new ContainerFiles(new ContainerRegistry(temp.resolve("state.json"))));
        device = FuseDevice.open();
        FuseSession.mount(mnt, device, fs, 0, false);
    }

    @AfterEach
    void unmount() throws LinuxException {
        if (device == null) {
            return;
        }
        Linux.umountDetach(mnt);
        device.close(); // the connection ends: a caller still waiting gets an error, and the readers stop
        if (caller != null) {
            caller.cancel(true);
        }
    }

    /**
     * Answers INIT, then a read of the host view's meminfo starts: its LOOKUP of "meminfo" is read and never answered.
     */
    private void dieHoldingARequest() throws Exception {
        try (FuseDevice.Buffers buffers = new FuseDevice.Buffers()) {
            FuseRequest init = nextRequest(buffers);
            assertEquals(FuseProtocol.INIT, init.opcode());
            FuseSession.answer(fs, init, buffers.replyView, buffers.notificationView);
            assertTrue(device.write(buffers) > 0);
            caller = CompletableFuture.supplyAsync(() -> {
                try {
                    return Files.readString(mnt.resolve("proc/meminfo"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            FuseRequest request;
            while (!((request = nextRequest(buffers)).opcode() == FuseProtocol.LOOKUP
                    && request.name().equals("meminfo"))) {
                FuseSession.answer(fs, request, buffers.replyView, buffers.notificationView);
                assertTrue(device.write(buffers) > 0);
            }
        }
        Thread.sleep(200);
        assertFalse(caller.isDone(), "the caller waits for the lost request's answer");
    }

    private FuseRequest nextRequest(FuseDevice.Buffers buffers) {
        long n;
        do {
            device.awaitRequest();
            n = device.read(buffers);
        } while (n == -Errno.EAGAIN);
        assertTrue(n > 0, "read /dev/fuse: errno " + -n);
        return FuseRequest.parse(buffers.requestView, (int) n);
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] release = System.getProperty("os.version").split("[.-]");
        int ma = Integer.parseInt(release[0]);
        return ma > major || ma == major && Integer.parseInt(release[1]) >= minor;
    }

    private void assertCallerReadMeminfo() throws Exception {
        String meminfo = caller.get(30, TimeUnit.SECONDS);
        assertEquals(Files.readAllLines(Path.of("/proc/meminfo")).getFirst().split(":")[0], meminfo.split(":")[0]);
    }

    @Test
    void onLinux69AndLaterTheLostRequestIsSentAgainAndAnswered() throws Exception {
        assumeTrue(kernelAtLeast(6, 9), "FUSE_NOTIFY_RESEND came with Linux 6.9");
        dieHoldingARequest();
        FuseSession.takeOver(mnt, device, fs, 2);
        assertCallerReadMeminfo();
    }

    /** The JDK's open(2) tries again on EINTR (as a shell's read loop would): the caller ends up with the file. */
    @Test
    void withoutResendTheLostRequestIsAnsweredEintr() throws Exception {
        dieHoldingARequest();
        FuseSession.takeOver(mnt, device, fs, 2, false);
        assertCallerReadMeminfo();
        assertTrue(Files.readString(mnt.resolve("proc/meminfo")).startsWith("MemTotal:"), "the other readers serve");
    }
}
