package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jsysbox.procfs.VirtualFileRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session's readers: one watches the device at a time, the others are parked until a request needs them (see
 * FuseSession). None of that may leave a request unanswered: one that waits behind a long answer, requests from many
 * callers at once, or parked readers once the connection ends. Needs root (as CI runs it): a real FUSE mount.
 */
class FuseReadersTest {
    private static final int READERS = 2;

    @TempDir
    Path temp;

    private Path mnt;
    private FuseSession session;
    /** The callers, each on a thread of its own (the common pool may have one thread only on a small host). */
    private final ExecutorService callers = Executors.newCachedThreadPool();
    /** The reader threads of other sessions (earlier tests'), alive when this one mounted. */
    private Set<Thread> othersReaders;
    /** Every write waits here until a test opens it: a sysctl write that takes long. */
    private final CountDownLatch writesMayEnd = new CountDownLatch(1);
    /** Opens once a write has reached the file system. */
    private final CountDownLatch writeArrived = new CountDownLatch(1);

    /** The host's view only; renders "text\n"; every write blocks until {@link #writesMayEnd} opens. */
    private final class SlowWrites implements FileBackend {
        @Override
        public Owner owner(long slot) {
            return null;
        }

        @Override
        public Owner owner(String id) {
            return null;
        }

        @Override
        public List<Owner> owners() {
            return List.of();
        }

        @Override
        public OpenFile open(Owner owner, FsTree.Node file, Caller caller, boolean forWriting) {
            return new OpenFile() {
                @Override
                public byte[] render() {
                    return "text\n".getBytes(StandardCharsets.UTF_8);
                }

                @Override
                public int write(byte[] data, long offset) {
                    writeArrived.countDown();
                    try {
                        writesMayEnd.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return data.length;
                }
            };
        }
    }

    @BeforeEach
    void mount() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        mnt = Files.createDirectory(temp.resolve("mnt"));
        othersReaders = readerThreads();
        FuseFileSystem fs = new FuseFileSystem(new FsTree(VirtualFileRegistry.standard(), 0), new SlowWrites());
        session = FuseSession.mount(mnt, FuseDevice.open(), fs, READERS, true);
    }

    @AfterEach
    void unmount() {
        writesMayEnd.countDown();
        callers.shutdownNow();
        if (session != null) {
            session.close();
        }
    }

    private static Set<Thread> readerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("fuse-"))
                .collect(Collectors.toSet());
    }

    private CompletableFuture<String> readAsync(Path file) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return Files.readString(file);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                callers);
    }

    @Test
    void aReadIsAnsweredWhileAWriteTakesLong() throws Exception {
        Path sysctl = mnt.resolve("proc/sys/kernel/panic");
        assertEquals("text\n", Files.readString(sysctl), "the mount answers");
        CompletableFuture<Void> write = CompletableFuture.runAsync(
                () -> {
                    try {
                        Files.writeString(sysctl, "1\n");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                callers);
        assertTrue(writeArrived.await(30, TimeUnit.SECONDS), "the write reached the file system");
        assertEquals("text\n", readAsync(mnt.resolve("proc/meminfo")).get(30, TimeUnit.SECONDS));
        assertFalse(write.isDone(), "the write still waits in its handler");
        writesMayEnd.countDown();
        write.get(30, TimeUnit.SECONDS);
    }

    @Test
    void manyCallersAtOnceAreEachAnswered() throws Exception {
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Path file = mnt.resolve(i % 2 == 0 ? "proc/uptime" : "proc/stat");
            loops.add(CompletableFuture.runAsync(
                    () -> {
                        try {
                            for (int read = 0; read < 500; read++) {
                                assertEquals("text\n", Files.readString(file));
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    },
                    callers));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    @Test
    void everyReaderStopsWhenTheConnectionEnds() throws Exception {
        for (int read = 0; read < 50; read++) {
            Files.readString(mnt.resolve("proc/uptime"));
        }
        Set<Thread> readers = readerThreads();
        readers.removeAll(othersReaders);
        assertEquals(READERS, readers.size(), "the session's readers: " + readers);
        session.close(); // unmounts: the watching reader reads ENODEV, and wakes the parked one
        session = null;
        for (Thread reader : readers) {
            reader.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(reader.isAlive(), reader.getName() + " still runs after the unmount");
        }
    }
}
