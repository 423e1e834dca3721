package io.jsysbox.mgr;

/**
 * A request the manager refuses or cannot carry out; the message is one line for a human. Its {@link Kind} is the
 * manager's own: each edge (gRPC, the launcher's socket) turns it into its protocol's status.
 */
public final class ManagerException extends Exception {
    /** Why the request failed. */
    public enum Kind {
        /** The request itself is wrong (a spec jsysbox refuses, a malformed field): asking again will not help. */
        BAD_REQUEST,
        /** It names a container or step the manager does not know. */
        NOT_FOUND,
        /** The host, a daemon or the container's state does not allow it now (jsysbox-fs down, a kernel limit). */
        NOT_POSSIBLE,
        /** No user namespace range is free. */
        EXHAUSTED,
        /** The manager failed on its own side. */
        INTERNAL
    }

    private final Kind kind;

    public ManagerException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ManagerException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
