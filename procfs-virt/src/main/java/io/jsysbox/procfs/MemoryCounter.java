package io.jsysbox.procfs;

/**
 * The memory.stat counters /proc/meminfo needs, with their names in cgroup v1 (the hierarchical
 * {@code total_*} form, so memory of nested cgroups, such as inner containers, counts) and in cgroup v2
 * (always hierarchical). A null name means that cgroup version has no such counter.
 */
public enum MemoryCounter {
    ANON("total_rss", "anon"),
    FILE("total_cache", "file"),
    SHMEM("total_shmem", "shmem"),
    FILE_MAPPED("total_mapped_file", "file_mapped"),
    FILE_DIRTY("total_dirty", "file_dirty"),
    FILE_WRITEBACK("total_writeback", "file_writeback"),
    SWAP_CACHED("total_swapcached", "swapcached"),
    ACTIVE_ANON("total_active_anon", "active_anon"),
    INACTIVE_ANON("total_inactive_anon", "inactive_anon"),
    ACTIVE_FILE("total_active_file", "active_file"),
    INACTIVE_FILE("total_inactive_file", "inactive_file"),
    UNEVICTABLE("total_unevictable", "unevictable"),
    ANON_THP("total_rss_huge", "anon_thp"),
    SHMEM_THP(null, "shmem_thp"),
    FILE_THP(null, "file_thp"),
    SLAB(null, "slab"),
    SLAB_RECLAIMABLE(null, "slab_reclaimable"),
    SLAB_UNRECLAIMABLE(null, "slab_unreclaimable"),
    KERNEL_STACK(null, "kernel_stack"),
    PAGE_TABLES(null, "pagetables"),
    SEC_PAGE_TABLES(null, "sec_pagetables"),
    PERCPU(null, "percpu"),
    ZSWAP(null, "zswap"),
    ZSWAPPED(null, "zswapped");

    private final String v1Name;
    private final String v2Name;

    MemoryCounter(String v1Name, String v2Name) {
        this.v1Name = v1Name;
        this.v2Name = v2Name;
    }

    String v1Name() {
        return v1Name;
    }

    String v2Name() {
        return v2Name;
    }
}
