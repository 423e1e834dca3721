package io.jsysbox.api;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** gRPC over unix domain sockets (netty epoll), shared by every jsysbox daemon and client. */
public final class UnixChannels {
    public static final Path MANAGER_SOCKET = Path.of("/run/jsysbox/mgr.sock");
    public static final Path FS_SOCKET = Path.of("/run/jsysbox/fs.sock");
    /**
     * jsysbox-fs's seccomp agent (not gRPC): runc hands it each container's seccomp notify descriptor there, as the
     * spec's linux.seccomp.listenerPath says. jsysbox-fs listens beside its gRPC socket, under this file name.
     */
    public static final Path SECCOMP_AGENT_SOCKET = Path.of("/run/jsysbox/seccomp.sock");
    /**
     * jsysbox-mgr's endpoint for the shell launcher of jsysbox-runc (lines, not gRPC: the launcher's client is netcat),
     * beside its gRPC socket under this file name. The launcher (sysbox-runc/src/main/launcher/dispatch.sh) names it
     * too.
     */
    public static final Path LAUNCHER_SOCKET = Path.of("/run/jsysbox/launcher.sock");
    /**
     * Clients never log: every failure that matters reaches the caller as a call's status, and during
     * {@code create} the runtime's stderr is the container's (a library's log line would land in 'docker logs').
     * Held here because java.util.logging keeps loggers weakly.
     */
    private static final Logger GRPC_CLIENT_LOGGER = Logger.getLogger("io.grpc");

    private UnixChannels() {}

    /** A plaintext channel to the daemon listening on {@code socket}; one event-loop thread is plenty for a CLI. */
    public static ManagedChannel connect(Path socket) {
        GRPC_CLIENT_LOGGER.setLevel(Level.OFF);
        EventLoopGroup group = new EpollEventLoopGroup(1);
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                // gRPC asks for TCP keepalive by default; a unix socket has none (netty would warn on every connect).
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .usePlaintext()
                .build();
        return new ClosingChannel(channel, group);
    }

    /**
     * Whether a daemon accepts connections on {@code socket}: a daemon checks this before it starts, because serving
     * would replace that daemon's socket file (and jsysbox-fs would take over its mount).
     */
    public static boolean answers(Path socket) {
        try (var channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return channel.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** How a server runs its calls. */
    public enum Handlers {
        /** On a thread pool: calls that may take long (the manager's Prepare copies images). */
        POOLED,
        /**
         * On the event loop that read the call, one thread hop less each way: calls that never wait long (jsysbox-fs's
         * Register and Protect, on every create's critical path).
         */
        ON_EVENT_LOOP
    }

    /** Starts a server on {@code socket}, replacing a stale socket file left by a previous run. */
    public static Server serve(Path socket, List<BindableService> services, Handlers handlers) throws IOException {
        // The socket dir is the runtime dir (/run/jsysbox): the manager sets its mode, this only avoids a looser one
        // first.
        RuntimeDirs.createIfMissing(socket.getParent(), RuntimeDirs.PASSED_BY_CONTAINERS);
        Files.deleteIfExists(socket);
        EventLoopGroup boss = new EpollEventLoopGroup(1);
        EventLoopGroup workers = new EpollEventLoopGroup(2);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers);
        if (handlers == Handlers.ON_EVENT_LOOP) {
            builder.directExecutor();
        }
        services.forEach(builder::addService);
        Server server = builder.build().start();
        // Only root may talk to the manager: it hands out uid ranges and mounts.
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        return server;
    }
}
