package io.jsysbox.procfs;

/**
 * /proc/swaps inside a container. With swap accounting and a swap limit, the container's swap is
 * min(limit, host swap): when that is 0 only the header is shown; otherwise one line, named and typed
 * like the host's first swap area, with the container's size and use (kB) and that area's priority, in
 * the kernel's layout. Without a swap limit (or accounting) the host's file is shown unchanged.
 */
public final class SwapsRenderer implements ProcFileRenderer {
    private static final int NAME_COLUMNS = 40;
    /** The kernel adds a second tab after numbers below this, to keep the columns aligned. */
    private static final long WIDE_NUMBER = 10_000_000;

    @Override
    public String render(ContainerView view, String hostText) {
        MemoryState.Swap swap = view.memory().swap().orElse(null);
        if (swap == null || swap.limitBytes().isEmpty()) {
            return hostText;
        }
        int headerEnd = Fields.lineEnd(hostText, 0);
        String[] firstArea = null;
        long hostTotalKb = 0;
        int start = headerEnd + 1;
        while (start < hostText.length()) {
            int end = Fields.lineEnd(hostText, start);
            String[] fields = Fields.words(hostText, start, end);
            if (fields.length == 5) {
                firstArea = firstArea == null ? fields : firstArea;
                hostTotalKb += Long.parseLong(fields[2]);
            }
            start = end + 1;
        }
        StringBuilder out = new StringBuilder(hostText.length());
        out.append(hostText, 0, Math.min(headerEnd + 1, hostText.length()));
        long sizeKb = Math.min(swap.limitBytes().getAsLong() / 1024, hostTotalKb);
        if (sizeKb == 0 || firstArea == null) {
            return out.toString();
        }
        long usedKb = Math.min(sizeKb, swap.usageBytes() / 1024);
        String name = firstArea[0];
        out.append(name);
        for (int i = 0, pad = name.length() < NAME_COLUMNS ? NAME_COLUMNS - name.length() : 1; i < pad; i++) {
            out.append(' ');
        }
        out.append(firstArea[1].equals("file") ? "file\t" : firstArea[1]).append('\t');
        out.append(sizeKb).append('\t').append(sizeKb < WIDE_NUMBER ? "\t" : "");
        out.append(usedKb).append('\t').append(usedKb < WIDE_NUMBER ? "\t" : "");
        return out.append(firstArea[4]).append('\n').toString();
    }
}
