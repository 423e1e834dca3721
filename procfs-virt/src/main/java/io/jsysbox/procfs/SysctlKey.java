package io.jsysbox.procfs;

/**
 * The sysctls and module parameters a container gets its own value of: either the kernel does not
 * namespace them, or (shm*, pid_max, max_dgram_qlen) it does but the container's /proc/sys is read-only
 * under runc, so the FUSE layer serves them. Each has the kernel's parser and range (kernel 6.x sources),
 * and says where its value comes from until the container writes it.
 */
public enum SysctlKey {
    KERNEL_PANIC("/proc/sys/kernel/panic", SysctlFormat.ProcInt.ANY),
    KERNEL_PANIC_ON_OOPS("/proc/sys/kernel/panic_on_oops", SysctlFormat.ProcInt.ANY),
    /** pid_max_min = RESERVED_PIDS + 1, pid_max_max = PID_MAX_LIMIT (4 Mi on 64-bit). */
    KERNEL_PID_MAX("/proc/sys/kernel/pid_max", new SysctlFormat.ProcInt(301, 4 * 1024 * 1024)),
    KERNEL_SHMMAX("/proc/sys/kernel/shmmax", SysctlFormat.ProcULong.ANY),
    KERNEL_SHMALL("/proc/sys/kernel/shmall", SysctlFormat.ProcULong.ANY),
    /** 0..IPCMNI (32768; 16 Mi only with the ipcmni_extend boot option). */
    KERNEL_SHMMNI("/proc/sys/kernel/shmmni", new SysctlFormat.ProcInt(0, 32768)),
    KERNEL_NGROUPS_MAX("/proc/sys/kernel/ngroups_max", new SysctlFormat.ReadOnly()),
    KERNEL_CAP_LAST_CAP("/proc/sys/kernel/cap_last_cap", new SysctlFormat.ReadOnly()),
    KERNEL_RANDOM_BOOT_ID("/proc/sys/kernel/random/boot_id", new SysctlFormat.ReadOnly(), Source.CONTAINER_BOOT_ID),
    KERNEL_RANDOM_UUID("/proc/sys/kernel/random/uuid", new SysctlFormat.ReadOnly(), Source.FRESH_UUID),
    VM_OVERCOMMIT_MEMORY("/proc/sys/vm/overcommit_memory", new SysctlFormat.ProcInt(0, 2)),
    NET_NF_CONNTRACK_MAX("/proc/sys/net/netfilter/nf_conntrack_max", new SysctlFormat.ProcInt(0, Integer.MAX_VALUE)),
    NET_UNIX_MAX_DGRAM_QLEN("/proc/sys/net/unix/max_dgram_qlen", SysctlFormat.ProcInt.ANY),
    /** The inotify per-user limits are longs in 0..LONG_MAX; the queue length an int in 0..INT_MAX. */
    FS_INOTIFY_MAX_USER_WATCHES("/proc/sys/fs/inotify/max_user_watches", new SysctlFormat.ProcULong(0, Long.MAX_VALUE)),
    FS_INOTIFY_MAX_USER_INSTANCES(
            "/proc/sys/fs/inotify/max_user_instances", new SysctlFormat.ProcULong(0, Long.MAX_VALUE)),
    FS_INOTIFY_MAX_QUEUED_EVENTS(
            "/proc/sys/fs/inotify/max_queued_events", new SysctlFormat.ProcInt(0, Integer.MAX_VALUE)),
    NF_CONNTRACK_HASHSIZE("/sys/module/nf_conntrack/parameters/hashsize", new SysctlFormat.ConntrackHashsize());

    /** Where a key's value comes from until the container writes one. */
    public enum Source {
        /** The host's file. */
        HOST,
        /** A random UUID chosen once per container, as the kernel chooses one per boot. */
        CONTAINER_BOOT_ID,
        /** A new random UUID on every read. */
        FRESH_UUID
    }

    private final String path;
    private final SysctlFormat format;
    private final Source source;

    SysctlKey(String path, SysctlFormat format) {
        this(path, format, Source.HOST);
    }

    SysctlKey(String path, SysctlFormat format, Source source) {
        this.path = path;
        this.format = format;
        this.source = source;
    }

    /** The absolute path the container sees. */
    public String path() {
        return path;
    }

    public SysctlFormat format() {
        return format;
    }

    public Source source() {
        return source;
    }

    /** Whether the file is writable at all (mode 0644 rather than 0444), for the FUSE daemon's attributes. */
    public boolean writable() {
        return !(format instanceof SysctlFormat.ReadOnly);
    }
}
