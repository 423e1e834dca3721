package io.jsysbox.fs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes replies to /dev/fuse: a fuse_out_header and the opcode's result. Every method fills {@code out}
 * from position 0 and leaves it flipped, ready to be written with one write(2) (the kernel takes one reply
 * per write).
 */
final class FuseReply {
    /** One READDIR entry: {@code offset} is the cookie of the entry after it, as the kernel passes it back. */
    record Dirent(long ino, String name, int type, long offset) {}

    private FuseReply() {}

    static void error(ByteBuffer out, long unique, int errno) {
        begin(out);
        finish(out, unique, -errno);
    }

    /** Success with no result (FLUSH, RELEASE, RELEASEDIR, DESTROY). */
    static void ok(ByteBuffer out, long unique) {
        begin(out);
        finish(out, unique, 0);
    }

    /** LOOKUP: the name stays valid for {@code entrySeconds}, the attributes for {@code attrSeconds}. */
    static void entry(ByteBuffer out, long unique, Attr attr, long entrySeconds, long attrSeconds) {
        begin(out);
        out.putLong(attr.ino())
                .putLong(0)
                .putLong(entrySeconds)
                .putLong(attrSeconds)
                .putInt(0)
                .putInt(0);
        putAttr(out, attr);
        finish(out, unique, 0);
    }

    static void attr(ByteBuffer out, long unique, Attr attr, long validSeconds) {
        begin(out);
        out.putLong(validSeconds).putInt(0).putInt(0);
        putAttr(out, attr);
        finish(out, unique, 0);
    }

    static void open(ByteBuffer out, long unique, long fileHandle, int openFlags) {
        begin(out);
        out.putLong(fileHandle).putInt(openFlags).putInt(0);
        finish(out, unique, 0);
    }

    /** READ: the bytes of {@code content} from {@code offset}, at most {@code size} of them (none past the end). */
    static void data(ByteBuffer out, long unique, byte[] content, long offset, int size) {
        begin(out);
        if (offset < content.length) {
            out.put(content, (int) offset, (int) Math.min(size, content.length - offset));
        }
        finish(out, unique, 0);
    }

    static void written(ByteBuffer out, long unique, int size) {
        begin(out);
        out.putInt(size).putInt(0);
        finish(out, unique, 0);
    }

    static void statfs(ByteBuffer out, long unique, long files) {
        begin(out);
        out.putLong(0)
                .putLong(0)
                .putLong(0)
                .putLong(files)
                .putLong(0)
                .putInt(Attr.BLOCK_SIZE)
                .putInt(255)
                .putInt(Attr.BLOCK_SIZE)
                .putInt(0);
        for (int i = 0; i < 6; i++) {
            out.putInt(0);
        }
        finish(out, unique, 0);
    }

    /** INIT: protocol 7.{@code minor}, the kernel's read-ahead echoed, {@code flags} and the largest WRITE accepted. */
    static void init(ByteBuffer out, long unique, int minor, int maxReadahead, int flags, int maxWrite) {
        begin(out);
        out.putInt(FuseProtocol.KERNEL_VERSION)
                .putInt(minor)
                .putInt(maxReadahead)
                .putInt(flags)
                .putShort((short) 0)
                .putShort((short) 0) // max_background, congestion_threshold: kernel defaults
                .putInt(maxWrite)
                .putInt(1); // time_gran: 1 ns
        while (out.position() < FuseProtocol.OUT_HEADER_SIZE + FuseProtocol.INIT_OUT_SIZE) {
            out.put((byte) 0);
        }
        finish(out, unique, 0);
    }

    /** READDIR: the entries whose cookie is after {@code fromOffset}, as many as fit in {@code size} bytes. */
    static void dirents(ByteBuffer out, long unique, List<Dirent> entries, long fromOffset, int size) {
        begin(out);
        int limit = FuseProtocol.OUT_HEADER_SIZE + Math.min(size, out.capacity() - FuseProtocol.OUT_HEADER_SIZE);
        for (Dirent entry : entries) {
            if (entry.offset() <= fromOffset) {
                continue;
            }
            byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
            int length = (FuseProtocol.DIRENT_HEADER_SIZE + name.length + 7) & ~7;
            if (out.position() + length > limit) {
                break;
            }
            int start = out.position();
            out.putLong(entry.ino())
                    .putLong(entry.offset())
                    .putInt(name.length)
                    .putInt(entry.type())
                    .put(name);
            while (out.position() < start + length) {
                out.put((byte) 0);
            }
        }
        finish(out, unique, 0);
    }

    /**
     * FUSE_NOTIFY_STORE of one zero byte at {@code size - 1} of node {@code nodeId}: the kernel grows the inode's
     * size to {@code size} (a store never shrinks it). The byte's page goes when the open that follows drops the
     * inode's cache.
     */
    static void growSize(ByteBuffer out, long nodeId, long size) {
        begin(out);
        out.putLong(nodeId).putLong(size - 1).putInt(1).putInt(0).put((byte) 0);
        finish(out, 0, FuseProtocol.NOTIFY_STORE);
    }

    /** FUSE_NOTIFY_RESEND: a notification with no body. */
    static void notifyResend(ByteBuffer out) {
        begin(out);
        finish(out, 0, FuseProtocol.NOTIFY_RESEND);
    }

    private static void begin(ByteBuffer out) {
        out.clear().order(ByteOrder.LITTLE_ENDIAN);
        out.position(FuseProtocol.OUT_HEADER_SIZE);
    }

    private static void putAttr(ByteBuffer out, Attr attr) {
        out.putLong(attr.ino())
                .putLong(attr.size())
                .putLong((attr.size() + 511) / 512)
                .putLong(attr.timeSeconds())
                .putLong(attr.timeSeconds())
                .putLong(attr.timeSeconds())
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putInt(attr.mode())
                .putInt(attr.nlink())
                .putInt(attr.uid())
                .putInt(attr.gid())
                .putInt(0)
                .putInt(Attr.BLOCK_SIZE)
                .putInt(0);
    }

    private static void finish(ByteBuffer out, long unique, int error) {
        int length = out.position();
        out.putInt(0, length).putInt(4, error).putLong(8, unique);
        out.flip();
    }
}
