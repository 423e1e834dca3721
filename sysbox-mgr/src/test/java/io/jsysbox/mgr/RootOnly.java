package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Integration tests that mount and chown: they run as root (as CI does) and are skipped otherwise. */
final class RootOnly {
    private RootOnly() {}

    static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
    }

    static int uid(java.nio.file.Path p) throws java.io.IOException {
        return (Integer) java.nio.file.Files.getAttribute(p, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }
}
