package io.jsysbox.mgr;

import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.SimpleChannelInboundHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.codec.DelimiterBasedFrameDecoder;
import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.spec.ErrorLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

    private static final ByteBuf END_OF_REQUEST =
            Unpooled.unreleasableBuffer(Unpooled.copiedBuffer("\n\n", StandardCharsets.UTF_8));

    private final Bundles bundles;
    /**
     * The steps block (Prepare may copy images for minutes): never on netty's event loop. Platform threads, as for
     * gRPC calls: Prepare sets per-thread fs credentials (FsCredentials), which a virtual thread cannot hold.
     */
    private final ExecutorService steps = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("launcher-", 0).factory());

    private final EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
    private Channel server;

    LauncherEndpoint(Bundles bundles) {
        this.bundles = bundles;
    }

    /** Listens on {@code socket} (mode 0600: only root may create containers), replacing a stale socket file. */
    void serve(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        try {
            server = new ServerBootstrap()
                    .group(loop)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            channel.pipeline()
                                    .addLast(
                                            new DelimiterBasedFrameDecoder(MAX_REQUEST_BYTES, END_OF_REQUEST),
                                            new RequestHandler());
                        }
                    })
                    .bind(new DomainSocketAddress(socket.toString()))
                    .sync()
                    .channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + socket, e);
        }
        Files.setPosixFilePermissions(socket, RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE));
    }

    private final class RequestHandler extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext context, ByteBuf frame) {
            List<String> lines = List.of(frame.toString(StandardCharsets.UTF_8).split("\n", -1));
            steps.execute(() -> {
                Answer answer = answer(lines.getFirst(), Form.of(lines.subList(1, lines.size())));
                String line = answer.status() + " " + answer.message() + "\n";
                context.writeAndFlush(Unpooled.copiedBuffer(line, StandardCharsets.UTF_8))
                        .addListener(ChannelFutureListener.CLOSE);
            });
        }
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
            server.close();
        }
        loop.shutdownGracefully();
        steps.close();
    }
}
