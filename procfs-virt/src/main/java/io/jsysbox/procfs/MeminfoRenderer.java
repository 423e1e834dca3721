package io.jsysbox.procfs;

import java.util.OptionalLong;

/**
 * /proc/meminfo inside a container. With a memory limit below the host's memory: MemTotal is the limit,
 * MemFree the limit minus the cgroup's usage (which includes page cache, as the host's MemFree excludes
 * it), MemAvailable MemFree plus the reclaimable page cache (active and inactive file pages, and
 * reclaimable slab where cgroup v2 reports it; shmem is not reclaimable and stays out), Buffers 0 (cgroups
 * do not track buffers apart from cache), and the LRU, cache, anon, slab… lines from memory.stat. With
 * swap accounting and a swap limit, SwapTotal is min(limit, host SwapTotal) and SwapFree what the
 * container has not used of it. Lines without a cgroup counter, and everything without a limit, stay the
 * host's, except reclaimable slab: 0 where the cgroup does not count it (v1), as in MemAvailable. Values keep the
 * kernel's layout: a 16-column label, the value right-aligned in 8 columns, " kB".
 */
public final class MeminfoRenderer implements ProcFileRenderer {
    private static final int LABEL_COLUMNS = 16;
    private static final int VALUE_COLUMNS = 8;

    @Override
    public String render(ContainerView view, String hostText) {
        MemoryState memory = view.memory();
        StringBuilder out = new StringBuilder(hostText.length() + 64);
        long totalKb = -1;
        long swapTotalKb = -1;
        boolean memoryLimited = false;
        long swapLimitBytes =
                memory.swap().map(swap -> swap.limitBytes().orElse(-1)).orElse(-1L);
        int start = 0;
        while (start < hostText.length()) {
            int end = Fields.lineEnd(hostText, start);
            int colon = hostText.indexOf(':', start);
            long replacement = -1;
            if (colon > start && colon < end && hostText.startsWith(" kB", end - 3)) {
                String label = hostText.substring(start, colon);
                long hostKb = Long.parseLong(hostText, Fields.skipBlanks(hostText, colon + 1, end), end - 3, 10);
                switch (label) {
                    case "MemTotal" -> {
                        long limitKb = memory.limitBytes().orElse(Long.MAX_VALUE) / 1024;
                        memoryLimited = limitKb < hostKb;
                        totalKb = memoryLimited ? limitKb : hostKb;
                        replacement = memoryLimited ? totalKb : -1;
                    }
                    case "SwapTotal" -> {
                        if (swapLimitBytes >= 0) {
                            swapTotalKb = Math.min(hostKb, swapLimitBytes / 1024);
                            replacement = swapTotalKb;
                        }
                    }
                    case "SwapFree" -> {
                        if (swapTotalKb >= 0) {
                            replacement = Math.max(
                                    0, swapTotalKb - memory.swap().orElseThrow().usageBytes() / 1024);
                        }
                    }
                    default -> {
                        if (memoryLimited) {
                            replacement = limitedValueKb(label, memory, totalKb);
                        }
                    }
                }
            }
            if (replacement >= 0) {
                appendLine(out, hostText, start, colon, replacement);
            } else {
                out.append(hostText, start, end);
            }
            if (end < hostText.length()) {
                out.append('\n');
            }
            start = end + 1;
        }
        return out.toString();
    }

    /** The value of a line under a memory limit, in kB, or -1 to keep the host's line. */
    private static long limitedValueKb(String label, MemoryState memory, long totalKb) {
        MemoryStat stat = memory.stat();
        long freeKb = Math.max(0, totalKb - memory.usageBytes() / 1024);
        return switch (label) {
            case "MemFree" -> freeKb;
            case "MemAvailable" ->
                Math.min(
                        totalKb,
                        freeKb
                                + (stat.getOrZero(MemoryCounter.ACTIVE_FILE)
                                                + stat.getOrZero(MemoryCounter.INACTIVE_FILE)
                                                + stat.getOrZero(MemoryCounter.SLAB_RECLAIMABLE))
                                        / 1024);
            case "Buffers" -> 0;
            case "Cached" -> kb(stat, MemoryCounter.FILE);
            case "SwapCached" -> kb(stat, MemoryCounter.SWAP_CACHED);
            case "Active" -> sumKb(stat, MemoryCounter.ACTIVE_ANON, MemoryCounter.ACTIVE_FILE);
            case "Inactive" -> sumKb(stat, MemoryCounter.INACTIVE_ANON, MemoryCounter.INACTIVE_FILE);
            case "Active(anon)" -> kb(stat, MemoryCounter.ACTIVE_ANON);
            case "Inactive(anon)" -> kb(stat, MemoryCounter.INACTIVE_ANON);
            case "Active(file)" -> kb(stat, MemoryCounter.ACTIVE_FILE);
            case "Inactive(file)" -> kb(stat, MemoryCounter.INACTIVE_FILE);
            case "Unevictable" -> kb(stat, MemoryCounter.UNEVICTABLE);
            case "Zswap" -> kb(stat, MemoryCounter.ZSWAP);
            case "Zswapped" -> kb(stat, MemoryCounter.ZSWAPPED);
            case "Dirty" -> kb(stat, MemoryCounter.FILE_DIRTY);
            case "Writeback" -> kb(stat, MemoryCounter.FILE_WRITEBACK);
            case "AnonPages" -> kb(stat, MemoryCounter.ANON);
            case "Mapped" -> kb(stat, MemoryCounter.FILE_MAPPED);
            case "Shmem" -> kb(stat, MemoryCounter.SHMEM);
            // 0 where the cgroup has no counter (v1), as MemAvailable counts it: free(1) adds SReclaimable to the
            // cache it takes from MemTotal, so the host's value there made busybox free's "used" negative.
            case "KReclaimable", "SReclaimable" -> stat.getOrZero(MemoryCounter.SLAB_RECLAIMABLE) / 1024;
            case "Slab" -> kb(stat, MemoryCounter.SLAB);
            case "SUnreclaim" -> kb(stat, MemoryCounter.SLAB_UNRECLAIMABLE);
            case "KernelStack" -> kb(stat, MemoryCounter.KERNEL_STACK);
            case "PageTables" -> kb(stat, MemoryCounter.PAGE_TABLES);
            case "SecPageTables" -> kb(stat, MemoryCounter.SEC_PAGE_TABLES);
            case "Percpu" -> kb(stat, MemoryCounter.PERCPU);
            case "AnonHugePages" -> kb(stat, MemoryCounter.ANON_THP);
            case "ShmemHugePages" -> kb(stat, MemoryCounter.SHMEM_THP);
            case "FileHugePages" -> kb(stat, MemoryCounter.FILE_THP);
            default -> -1;
        };
    }

    /** The counter in kB, or -1 (keep the host's line) when the cgroup version lacks it. */
    private static long kb(MemoryStat stat, MemoryCounter counter) {
        OptionalLong bytes = stat.get(counter);
        return bytes.isPresent() ? bytes.getAsLong() / 1024 : -1;
    }

    private static long sumKb(MemoryStat stat, MemoryCounter first, MemoryCounter second) {
        if (stat.get(first).isEmpty() || stat.get(second).isEmpty()) {
            return -1;
        }
        return (stat.getOrZero(first) + stat.getOrZero(second)) / 1024;
    }

    private static void appendLine(StringBuilder out, String hostText, int start, int colon, long valueKb) {
        out.append(hostText, start, colon + 1);
        for (int column = colon + 1 - start; column < LABEL_COLUMNS; column++) {
            out.append(' ');
        }
        Fields.appendPadded(out, valueKb, VALUE_COLUMNS);
        out.append(" kB");
    }
}
