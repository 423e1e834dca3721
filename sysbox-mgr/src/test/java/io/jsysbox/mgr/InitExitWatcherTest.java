package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InitExitWatcherTest {
    @Test
    void reportsTheExitOfAWatchedProcessAndNotBefore() throws Exception {
        CompletableFuture<String> exited = new CompletableFuture<>();
        InitExitWatcher watcher = new InitExitWatcher((id, pid) -> exited.complete(id + ":" + pid));
        Process init = new ProcessBuilder("sleep", "600").start();
        try {
            watcher.watch("c1", init.pid());
            Thread.sleep(300);
            assertFalse(exited.isDone(), "a running process has not exited");
        } finally {
            init.destroy();
        }
        assertEquals("c1:" + init.pid(), exited.get(10, TimeUnit.SECONDS));
    }

    @Test
    void reportsAProcessThatIsAlreadyGone() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        CompletableFuture<Long> exited = new CompletableFuture<>();
        new InitExitWatcher((id, pid) -> exited.complete(pid)).watch("c2", gone.pid());
        assertEquals(gone.pid(), exited.get(10, TimeUnit.SECONDS));
    }
}
