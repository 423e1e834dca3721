package io.jsysbox.procfs;

import java.util.BitSet;

/**
 * /proc/cpuinfo inside a container: only the blocks of the CPUs it is shown ({@link ContainerView#visibleCpus}),
 * their "processor" numbers renumbered 0..n-1 in host order, every other field as the host has it. The file
 * is a series of blocks separated by blank lines (x86, arm64, …); blocks that do not start with a
 * "processor" line (a trailing summary on some architectures) are kept as they are.
 */
public final class CpuinfoRenderer implements ProcFileRenderer {
    private static final String PROCESSOR = "processor";

    @Override
    public String render(ContainerView view, String hostText) {
        BitSet visible = view.visibleCpus();
        StringBuilder out = new StringBuilder(hostText.length());
        int renumbered = 0;
        int start = 0;
        while (start < hostText.length()) {
            int blankLine = hostText.indexOf("\n\n", start);
            int blockEnd = blankLine < 0 ? hostText.length() : blankLine + 1;
            int separatorEnd = blankLine < 0 ? hostText.length() : blankLine + 2;
            if (hostText.startsWith(PROCESSOR, start)) {
                int lineEnd = Fields.lineEnd(hostText, start);
                int colon = hostText.indexOf(':', start);
                if (colon < 0 || colon > lineEnd) {
                    throw new IllegalArgumentException("cpuinfo: processor line without ':'");
                }
                int numberStart = Fields.skipBlanks(hostText, colon + 1, lineEnd);
                int cpu = Integer.parseInt(hostText, numberStart, lineEnd, 10);
                if (visible.get(cpu)) {
                    out.append(hostText, start, numberStart).append(renumbered++);
                    out.append(hostText, lineEnd, separatorEnd);
                }
            } else {
                out.append(hostText, start, separatorEnd);
            }
            start = separatorEnd;
        }
        return out.toString();
    }
}
