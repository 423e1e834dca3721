package io.jsysbox.mgr;

import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.SimpleChannelInboundHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.FullHttpRequest;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpHeaderNames;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpMethod;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpObjectAggregator;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpResponseStatus;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpServerCodec;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpVersion;
import io.grpc.netty.shaded.io.netty.handler.codec.http.QueryStringDecoder;
import io.grpc.Status;
import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.spec.ErrorLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The edge the shell launcher of jsysbox-runc talks to on {@code create}: HTTP/1.1 on a root-only unix socket, one
 * form-encoded POST per step, answered by {@link Bundles}. Why not gRPC: its client is a JVM with netty, ~150 ms per
 * create; `curl --unix-socket` costs ~8 ms, and containerd runs the runtime for every container it starts.
 * <ul>
 *   <li>{@code POST /create} id, bundle: prepare and rewrite; 200 with a warning for the user (or nothing);</li>
 *   <li>{@code POST /started} id, pid, bundle: after {@code runc create}; 200;</li>
 *   <li>{@code POST /release} id: after a failed {@code runc create}; 200.</li>
 * </ul>
 * Every request may name the runtime's {@code log} and {@code log-format}: a failure's (and a warning's) entry is
 * appended there in runc's format, where containerd-shim looks for it; the answer's body is the one-line message,
 * status 422 for what the user can fix, 500 otherwise. The launcher prints it on the runtime's stderr.
 */
final class LauncherEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LauncherEndpoint.class);
    /** A request is a few form fields; anything bigger is not the launcher's. */
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

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
            server = new ServerBootstrap().group(loop).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                    new RequestHandler());
                        }
                    })
                    .bind(new DomainSocketAddress(socket.toString())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + socket, e);
        }
        Files.setPosixFilePermissions(socket, RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE));
    }

    private final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
            String step = new QueryStringDecoder(request.uri()).path();
            Map<String, List<String>> form = new QueryStringDecoder(request.content().toString(StandardCharsets.UTF_8),
                    StandardCharsets.UTF_8, false).parameters();
            boolean post = request.method().equals(HttpMethod.POST);
            steps.execute(() -> {
                Answer answer = post ? answer(step, new Form(form)) : new Answer(HttpResponseStatus.METHOD_NOT_ALLOWED,
                        "the launcher endpoint takes POST requests only");
                var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                        Unpooled.copiedBuffer(answer.body(), StandardCharsets.UTF_8));
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            });
        }
    }

    private record Answer(HttpResponseStatus status, String body) {}

    private Answer answer(String step, Form form) {
        ErrorLog log = new ErrorLog(form.optional("log"), "json".equals(form.optional("log-format")));
        try {
            String id = form.required("id");
            String warning = switch (step) {
                case "/create" -> bundles.create(id, form.bundle(), List.of(), List.of());
                case "/started" -> {
                    bundles.started(id, form.pid(), "", form.bundle());
                    yield "";
                }
                case "/release" -> {
                    bundles.release(id);
                    yield "";
                }
                default -> throw new ManagerException(Status.Code.NOT_FOUND, "no launcher step " + step);
            };
            if (!warning.isEmpty()) record(log, "warning", warning);
            return new Answer(HttpResponseStatus.OK, warning);
        } catch (ManagerException e) {
            String message = e.code() == Status.Code.INVALID_ARGUMENT ? e.getMessage()
                    : "jsysbox-mgr could not " + step.substring(1) + " container " + form.optional("id") + ": " + e.getMessage();
            record(log, "error", message);
            return new Answer(e.code() == Status.Code.INTERNAL ? HttpResponseStatus.INTERNAL_SERVER_ERROR
                    : HttpResponseStatus.UNPROCESSABLE_ENTITY, ErrorLog.oneLine(message));
        } catch (RuntimeException e) {
            LOG.error("internal error", e);
            String message = "jsysbox-mgr internal error (please report): " + e;
            record(log, "error", message);
            return new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, ErrorLog.oneLine(message));
        }
    }

    private static void record(ErrorLog log, String level, String message) {
        try {
            log.append(level, message);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot append to the runtime's log file: {}", e.getMessage());
        }
    }

    /** A request's form fields; a missing or malformed one is the launcher's mistake, said as such. */
    private record Form(Map<String, List<String>> fields) {
        /** The field's value, or null when it is missing or empty. */
        String optional(String name) {
            List<String> values = fields.get(name);
            return values == null || values.isEmpty() || values.getFirst().isEmpty() ? null : values.getFirst();
        }

        String required(String name) throws ManagerException {
            String value = optional(name);
            if (value == null) {
                throw new ManagerException(Status.Code.INVALID_ARGUMENT, "the launcher's request has no " + name);
            }
            return value;
        }

        Path bundle() throws ManagerException {
            Path bundle = Path.of(required("bundle"));
            if (!bundle.isAbsolute()) {
                throw new ManagerException(Status.Code.INVALID_ARGUMENT, "bundle " + bundle + " is not absolute");
            }
            return bundle;
        }

        long pid() throws ManagerException {
            try {
                return Long.parseLong(required("pid"));
            } catch (NumberFormatException e) {
                throw new ManagerException(Status.Code.INVALID_ARGUMENT, "pid '" + optional("pid") + "' is not a number");
            }
        }
    }

    @Override
    public void close() {
        if (server != null) server.close();
        loop.shutdownGracefully();
        steps.close();
    }
}
