package io.jsysbox.mgr;

import java.io.IOException;
import java.time.Duration;

/**
 * When a long operation on a container's data must stop. Why: a copy-out runs while Docker waits for the container's
 * delete, and Docker stops waiting after about 30 s (the task stays in containerd, its shim on the host); what a tenant
 * put in its special dirs decides how long the copy would take.
 *
 * @param at  {@link System#nanoTime()} at the deadline
 * @param why what the limit is, for the message
 */
record Deadline(long at, String why) {
    /** No limit: copies nobody is waiting on with a timeout (a fill at create, a copy for docker commit). */
    static final Deadline NONE = new Deadline(0, "");

    static Deadline after(Duration limit, String why) {
        return new Deadline(System.nanoTime() + limit.toNanos(), why);
    }

    boolean passed() {
        return this != NONE && System.nanoTime() - at >= 0;
    }

    /** Fails when the deadline has passed, naming {@code what} was being done. */
    void check(String what) throws IOException {
        if (passed()) {
            throw new IOException("stopped " + what + ": " + why);
        }
    }
}
