package io.jsysbox.fs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One request read from /dev/fuse: the fuse_in_header fields and the opcode's arguments ({@code body}, a view
 * positioned at 0). {@code uid}, {@code gid} and {@code pid} are the caller's, in the daemon's namespaces
 * (host uid, host pid); pid is 0 for requests the kernel sends on its own (RELEASE after close, FORGET).
 */
record FuseRequest(int opcode, long unique, long nodeId, int uid, int gid, int pid, ByteBuffer body) {

    /** Parses the {@code length} bytes at the start of {@code buffer}, as one read(2) of /dev/fuse returned them. */
    static FuseRequest parse(ByteBuffer buffer, int length) {
        ByteBuffer in = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (length < FuseProtocol.IN_HEADER_SIZE || in.getInt(0) != length) {
            throw new IllegalArgumentException("malformed FUSE request: read " + length + " bytes, header says "
                    + (length >= 4 ? in.getInt(0) : -1));
        }
        // Extension headers (total_extlen, in 8-byte units) follow the arguments; none is negotiated, so skip them.
        int extensions = Short.toUnsignedInt(in.getShort(36)) * 8;
        ByteBuffer body = in.slice(FuseProtocol.IN_HEADER_SIZE, length - FuseProtocol.IN_HEADER_SIZE - extensions)
                .order(ByteOrder.LITTLE_ENDIAN);
        return new FuseRequest(
                in.getInt(4), in.getLong(8), in.getLong(16), in.getInt(24), in.getInt(28), in.getInt(32), body);
    }

    /** The NUL-terminated name that LOOKUP carries. */
    String name() {
        int end = 0;
        while (end < body.limit() && body.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end];
        body.get(0, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
