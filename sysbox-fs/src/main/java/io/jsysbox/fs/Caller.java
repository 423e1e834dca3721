package io.jsysbox.fs;

/** Who made a FUSE request: host pid (a thread id), host uid and gid. */
record Caller(int pid, int uid, int gid) {}
