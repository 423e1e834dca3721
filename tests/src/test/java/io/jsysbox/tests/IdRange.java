package io.jsysbox.tests;

/** A range of host uids or gids: {@code size} ids from {@code start}. */
public record IdRange(long start, long size) {
    public long end() {
        return start + size;
    }

    public boolean contains(long id) {
        return id >= start && id < end();
    }

    public boolean contains(IdRange other) {
        return other.start >= start && other.end() <= end();
    }

    public boolean overlaps(IdRange other) {
        return start < other.end() && other.start < end();
    }

    @Override
    public String toString() {
        return start + "+" + size;
    }
}
