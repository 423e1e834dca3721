package io.jsysbox.runc;

/**
 * A failure the user can act on. The message is one line saying what is wrong and how to fix it; it is
 * reported prefixed with {@code jsysbox: }.
 */
final class JsysboxException extends Exception {
    JsysboxException(String message) { super(message); }

    JsysboxException(String message, Throwable cause) { super(message, cause); }
}
