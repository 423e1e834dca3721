package io.jsysbox.spec;

/** A contiguous range of host ids: {@code size} ids from {@code start}. */
public record HostRange(long start, long size) {
    public HostRange {
        if (start < 0 || size <= 0) {
            throw new IllegalArgumentException("bad id range " + start + ":" + size);
        }
    }

    public long end() {
        return start + size;
    }

    public boolean contains(long id) {
        return id >= start && id < end();
    }

    public int rootId() {
        return Math.toIntExact(start);
    }
}
