package io.jsysbox.tests;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** The one place tests wait: poll a probe until its value is acceptable, or fail showing the last value seen. */
public final class Await {
    private static final Duration FIRST_PAUSE = Duration.ofMillis(100);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(1);

    private Await() {}

    public static <T> T until(String what, Duration timeout, Supplier<T> probe, Predicate<? super T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration pause = FIRST_PAUSE;
        while (true) {
            T value = probe.get();
            if (done.test(value)) {
                return value;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(
                        "gave up after " + timeout.toSeconds() + " s waiting for " + what + "; last seen: " + value);
            }
            try {
                Thread.sleep(Math.min(pause.toNanos(), left) / 1_000_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
            pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
        }
    }

    /** Re-runs a command until it succeeds. */
    public static Command.Result success(String what, Duration timeout, Supplier<Command.Result> command) {
        return until(what, timeout, command, Command.Result::ok);
    }
}
