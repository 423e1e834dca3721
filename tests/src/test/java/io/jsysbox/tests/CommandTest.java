package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CommandTest {
    private static final Duration GENEROUS = Duration.ofSeconds(30);

    @Test
    void capturesExitCodeStdoutAndStderrApart() {
        Command.Result result = Command.run(GENEROUS, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, result.exitCode());
        assertEquals("out", result.out());
        assertEquals("err\n", result.stderr());
        assertFalse(result.ok());
        AssertionError failure = assertThrows(AssertionError.class, result::assertOk);
        assertTrue(
                failure.getMessage().contains("exited 3")
                        && failure.getMessage().contains("err"),
                failure.getMessage());
    }

    @Test
    void aMissingProgramIsAFailedResult() {
        Command.Result result = Command.run(GENEROUS, "jsysbox-test-no-such-program");
        assertEquals(Command.NOT_STARTED, result.exitCode());
        assertTrue(result.stderr().contains("jsysbox-test-no-such-program"), result.stderr());
    }

    @Test
    void stdinIsEmptySoNothingWaitsForInput() {
        assertEquals("", Command.run(GENEROUS, "cat").assertOk().stdout());
    }

    @Test
    void aCommandPastItsDeadlineIsKilledWithItsChildren() {
        Command.Result result = Command.run(Duration.ofMillis(300), "sh", "-c", "sleep 600 & echo $!; wait");
        assertTrue(result.timedOut());
        assertFalse(result.ok());
        long child = Long.parseLong(result.out());
        // the kill is asynchronous, and the orphan is reaped by whoever adopts it
        Await.until(
                "the killed child to be gone",
                GENEROUS,
                () -> ProcessHandle.of(child).filter(ProcessHandle::isAlive),
                Optional::isEmpty);
    }

    @Test
    void aDaemonKeepingStdoutOpenDoesNotHoldTheCaller() {
        // like `jsysbox start`: the command exits, the process it started keeps running with our stdout
        Command.Result result = Command.run(GENEROUS, "sh", "-c", "sleep 600 & echo $!");
        assertTrue(result.ok(), result.toString());
        ProcessHandle.of(Long.parseLong(result.out())).ifPresent(ProcessHandle::destroyForcibly);
    }

    @Test
    void awaitReturnsTheFirstAcceptableValueAndFailsWithTheLastOneSeen() {
        AtomicInteger probes = new AtomicInteger();
        assertEquals(3, Await.until("three", GENEROUS, probes::incrementAndGet, n -> n == 3));
        AssertionError failure = assertThrows(
                AssertionError.class,
                () -> Await.until("the impossible", Duration.ofMillis(200), () -> List.of("leftover"), List::isEmpty));
        assertTrue(
                failure.getMessage().contains("the impossible")
                        && failure.getMessage().contains("leftover"),
                failure.getMessage());
    }
}
