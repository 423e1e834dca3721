package io.jsysbox.mgr;

import io.grpc.Status;

/** A request the manager refuses or cannot carry out; the message is one line for a human. */
public final class ManagerException extends Exception {
    private final Status.Code code;

    public ManagerException(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    public ManagerException(Status.Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Status.Code code() {
        return code;
    }
}
