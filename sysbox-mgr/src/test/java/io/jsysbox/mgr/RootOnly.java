package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Integration tests that mount and chown: they run as root (as CI does) and are skipped otherwise. */
final class RootOnly {
    private RootOnly() {}

    static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
    }

    static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }
}
