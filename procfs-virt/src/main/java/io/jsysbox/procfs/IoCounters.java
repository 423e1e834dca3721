package io.jsysbox.procfs;

/** A container's I/O on one block device, from cgroup v2 io.stat or cgroup v1 blkio.throttle.* files. */
public record IoCounters(long readBytes, long writeBytes, long discardBytes, long reads, long writes, long discards) {}
