package io.jsysbox.mgr;

/** The host is not set up the way the manager needs; the message says how to fix it. */
public final class ConfigurationException extends Exception {
    public ConfigurationException(String message) {
        super(message);
    }
}
