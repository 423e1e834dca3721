package io.jsysbox.mgr;

import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.spec.ErrorLog;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge the shell launcher of jsysbox-runc talks to on {@code create} and {@code exec}, on a root-only unix socket: one request
 * per connection, answered by {@link Bundles}. Why not gRPC: its client is a JVM with netty, ~150 ms per create; and
 * not HTTP: curl loads 33 libraries (~9 ms a call), OpenBSD netcat ({@code nc.openbsd -U}) 6 (~3 ms), and containerd
 * runs the runtime for every container it starts. A request is lines ending with an empty line: the step, then
 * {@code name=value} fields (values hold no newline: the launcher leaves such input to the Java CLI):
 * <ul>
 *   <li>{@code create} id, bundle, capbnd (the launcher's CapBnd mask): check, prepare and rewrite;</li>
 *   <li>{@code started} id, pid, bundle: after {@code runc create};</li>
 *   <li>{@code release} id: after a failed {@code runc create};</li>
 *   <li>{@code exec} id, process (runc exec's process.json), state (runc's state file of the container), capbnd: a
 *       process joining a jsysbox container gets its capabilities and AppArmor profile ({@link ExecJoin}).</li>
 * </ul>
 * Every request may name the runtime's {@code log} and {@code log-format}: a failure's (and a warning's) entry is
 * appended there in runc's format, where containerd-shim looks for it. The answer is one line, a status and the
 * message for the user (a warning, or nothing, on success): 200, 422 for what the user can fix, 500 otherwise. The
 * launcher prints the message on the runtime's stderr.
 */
final class LauncherEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LauncherEndpoint.class);
    /** A request is a few fields; anything bigger is not the launcher's. */
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    private static final long ACCEPT_RETRY_MILLIS = 100;

    private final Bundles bundles;
    /**
     * The threads that accept, read, answer and close connections: the one that accepts a connection answers it, after
     * handing the next accept to another (no thread hop between a connection and its answer; netty's event loop took
     * three, ~1 ms a request on this project's idle 2-core VM). The steps block (Prepare may copy images for minutes),
     * so each request has a thread. Platform threads, as for gRPC calls: Prepare sets per-thread fs credentials
     * (FsCredentials), which a virtual thread cannot hold.
     */
    private final ExecutorService steps = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("launcher-", 0).factory());

    private ServerSocketChannel server;

    LauncherEndpoint(Bundles bundles) {
        this.bundles = bundles;
    }

    /** Listens on {@code socket} (mode 0600: only root may create containers), replacing a stale socket file. */
    void serve(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE));
        acceptNext();
    }

    private void acceptOne() {
        SocketChannel connection;
        try {
            connection = server.accept();
        } catch (ClosedChannelException e) {
            return; // closed: the manager stops
        } catch (IOException e) {
            // e.g. out of descriptors: try again in a moment rather than in a loop that fills the log
            LOG.warn("launcher socket: cannot accept a connection: {}", e.getMessage());
            try {
                Thread.sleep(ACCEPT_RETRY_MILLIS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
            acceptNext();
            return;
        }
        acceptNext();
        answer(connection);
    }

    /** Hands the next accept to another thread; to none once the endpoint closes. */
    private void acceptNext() {
        try {
            steps.execute(this::acceptOne);
        } catch (RejectedExecutionException e) {
            LOG.debug("launcher socket closed: no more accepts");
        }
    }

    /** Reads one request, answers it and closes the connection; a request past the size limit gets no answer. */
    private void answer(SocketChannel connection) {
        try (connection) {
            String request = readRequest(connection);
            if (request == null) {
                return;
            }
            List<String> lines = List.of(request.split("\n", -1));
            Answer answer = answer(lines.getFirst(), Form.of(lines.subList(1, lines.size())));
            ByteBuffer line =
                    ByteBuffer.wrap((answer.status() + " " + answer.message() + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) {
                connection.write(line);
            }
        } catch (IOException e) {
            LOG.debug("launcher socket: {}", e.getMessage());
        }
    }

    /** The request up to its empty line (without it), or null when the peer closes first or sends too much. */
    private static String readRequest(SocketChannel connection) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_REQUEST_BYTES);
        int searched = 0;
        while (connection.read(buffer) > 0) {
            for (int i = Math.max(1, searched); i < buffer.position(); i++) {
                if (buffer.get(i) == '\n' && buffer.get(i - 1) == '\n') {
                    return new String(buffer.array(), 0, i - 1, StandardCharsets.UTF_8);
                }
            }
            searched = buffer.position();
            if (!buffer.hasRemaining()) {
                return null;
            }
        }
        return null;
    }

    private static final int OK = 200;
    private static final int REFUSED = 422;
    private static final int FAILED = 500;

    private record Answer(int status, String message) {}

    private Answer answer(String step, Form form) {
        ErrorLog log = new ErrorLog(form.optional("log"), "json".equals(form.optional("log-format")));
        try {
            String id = form.required("id");
            String warning = switch (step) {
                case "create" ->
                    bundles.create(id, form.bundle(), form.fields().getOrDefault("capbnd", ""), List.of(), List.of());
                case "started" -> {
                    bundles.started(id, form.pid(), "", form.bundle());
                    yield "";
                }
                case "release" -> {
                    bundles.release(id);
                    yield "";
                }
                case "exec" -> {
                    if (id.contains("/")) {
                        throw new ManagerException(ManagerException.Kind.BAD_REQUEST, "container id '" + id + "'");
                    }
                    ExecJoin.join(form.path("process"), form.path("state"), form.required("capbnd"));
                    yield "";
                }
                default ->
                    throw new ManagerException(ManagerException.Kind.NOT_FOUND, "no launcher step '" + step + "'");
            };
            if (!warning.isEmpty()) {
                record(log, "warning", warning);
            }
            return new Answer(OK, ErrorLog.oneLine(warning));
        } catch (ManagerException e) {
            String message = e.kind() == ManagerException.Kind.BAD_REQUEST
                    ? e.getMessage()
                    : "jsysbox-mgr could not " + step + " container " + form.optional("id") + ": " + e.getMessage();
            record(log, "error", message);
            return new Answer(e.kind() == ManagerException.Kind.INTERNAL ? FAILED : REFUSED, ErrorLog.oneLine(message));
        } catch (RuntimeException e) {
            LOG.error("internal error", e);
            String message = "jsysbox-mgr internal error (please report): " + e;
            record(log, "error", message);
            return new Answer(FAILED, ErrorLog.oneLine(message));
        }
    }

    private static void record(ErrorLog log, String level, String message) {
        try {
            log.append(level, message);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot append to the runtime's log file: {}", e.getMessage());
        }
    }

    /** A request's fields; a missing or malformed one is the launcher's mistake, said as such. */
    private record Form(Map<String, String> fields) {
        static Form of(List<String> lines) {
            Map<String, String> fields = new HashMap<>();
            for (String line : lines) {
                int equals = line.indexOf('=');
                if (equals > 0) {
                    fields.put(line.substring(0, equals), line.substring(equals + 1));
                }
            }
            return new Form(fields);
        }

        /** The field's value, or null when it is missing or empty. */
        String optional(String name) {
            String value = fields.get(name);
            return value == null || value.isEmpty() ? null : value;
        }

        String required(String name) throws ManagerException {
            String value = optional(name);
            if (value == null) {
                throw new ManagerException(ManagerException.Kind.BAD_REQUEST, "the launcher's request has no " + name);
            }
            return value;
        }

        Path bundle() throws ManagerException {
            return path("bundle");
        }

        /** An absolute path: the manager's working dir is not the launcher's. */
        Path path(String name) throws ManagerException {
            Path path = Path.of(required(name));
            if (!path.isAbsolute()) {
                throw new ManagerException(ManagerException.Kind.BAD_REQUEST, name + " " + path + " is not absolute");
            }
            return path;
        }

        long pid() throws ManagerException {
            try {
                return Long.parseLong(required("pid"));
            } catch (NumberFormatException e) {
                throw new ManagerException(
                        ManagerException.Kind.BAD_REQUEST, "pid '" + optional("pid") + "' is not a number");
            }
        }
    }

    @Override
    public void close() {
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.debug("closing the launcher socket: {}", e.getMessage());
            }
        }
        steps.close();
    }
}
