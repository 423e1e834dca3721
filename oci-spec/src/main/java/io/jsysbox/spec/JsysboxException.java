package io.jsysbox.spec;

/**
 * A failure the user can act on. The message is one line saying what is wrong and how to fix it; it is
 * reported prefixed with {@code jsysbox: }.
 */
public final class JsysboxException extends Exception {
    public JsysboxException(String message) {
        super(message);
    }

    public JsysboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
