package io.jsysbox.installer;

/** A failure the user can act on; its message says what went wrong and how to fix it. */
final class InstallException extends RuntimeException {
    InstallException(String message) {
        super(message);
    }
}
