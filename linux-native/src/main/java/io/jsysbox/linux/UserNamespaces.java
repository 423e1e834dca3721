package io.jsysbox.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * File descriptors of user namespaces with a given mapping, as {@code mount_setattr(MOUNT_ATTR_IDMAP)} needs.
 * A short-lived {@code unshare --user sleep} helper creates each namespace (no fork inside the JVM); the open
 * fd keeps the namespace alive after the helper is killed. One namespace per mapping, cached.
 */
public final class UserNamespaces {
    private static final Logger LOG = LoggerFactory.getLogger(UserNamespaces.class);
    private static final long HELPER_TIMEOUT_MS = 5_000;

    private final Map<String, Fd> byMapping = new HashMap<>();

    /** A user namespace mapping uids 0..size-1 to uidStart.. and gids 0..size-1 to gidStart... */
    public synchronized Fd mapping(long uidStart, long gidStart, long size) throws IOException {
        String key = key(uidStart, gidStart, size);
        Fd cached = byMapping.get(key);
        if (cached != null) {
            return cached;
        }
        Fd fd = create("0 " + uidStart + " " + size + "\n", "0 " + gidStart + " " + size + "\n");
        byMapping.put(key, fd);
        return fd;
    }

    /** Closes the cached namespace of a mapping nobody uses any more. */
    public synchronized void forget(long uidStart, long gidStart, long size) {
        Fd fd = byMapping.remove(key(uidStart, gidStart, size));
        if (fd != null) {
            fd.close();
        }
    }

    private static String key(long uidStart, long gidStart, long size) {
        return uidStart + "/" + gidStart + "/" + size;
    }

    private static Fd create(String uidMap, String gidMap) throws IOException {
        Process helper = new ProcessBuilder("unshare", "--user", "sleep", "infinity")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            Path proc = Path.of("/proc", Long.toString(helper.pid()));
            awaitOwnUserNamespace(helper, proc);
            Files.writeString(proc.resolve("uid_map"), uidMap);
            Files.writeString(proc.resolve("gid_map"), gidMap);
            Fd fd = Linux.openat2(null, proc.resolve("ns/user").toString(), Linux.O_RDONLY, 0);
            LOG.debug("user namespace {} for uid map '{}', gid map '{}'", fd, uidMap.strip(), gidMap.strip());
            return fd;
        } catch (IOException e) {
            throw new IOException(
                    "cannot create a user namespace with uid map '" + uidMap.strip() + "': " + e.getMessage(), e);
        } finally {
            helper.destroyForcibly();
            try {
                helper.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** unshare(CLONE_NEWUSER) happens after the helper starts: wait until its namespace differs from ours. */
    private static void awaitOwnUserNamespace(Process helper, Path proc) throws IOException {
        Path own = Files.readSymbolicLink(Path.of("/proc/self/ns/user"));
        long deadline = System.currentTimeMillis() + HELPER_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (!helper.isAlive()) {
                throw new IOException(
                        "'unshare --user' exited with " + helper.exitValue() + " (are user namespaces enabled?)");
            }
            try {
                if (!Files.readSymbolicLink(proc.resolve("ns/user")).equals(own)) {
                    return;
                }
            } catch (IOException ignored) {
                // the helper is between fork and exec
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for 'unshare --user'");
            }
        }
        throw new IOException(
                "'unshare --user' did not enter a new user namespace within " + HELPER_TIMEOUT_MS + " ms");
    }
}
