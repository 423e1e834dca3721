package io.jsysbox.procfs;

/**
 * /proc/uptime inside a container: "UPTIME IDLE" in seconds with two decimals (truncated, as the kernel
 * prints them). UPTIME is the host's uptime minus the container's start ({@link ContainerView#startedAfterBoot}).
 * IDLE, which the kernel sums over all CPUs, is the host's idle time scaled to the container's share of
 * it: the fraction of the host's uptime the container has lived, times the fraction of the host's CPUs it
 * is shown; and never more than UPTIME times the CPUs shown.
 */
public final class UptimeRenderer implements ProcFileRenderer {

    @Override
    public String render(ContainerView view, String hostText) {
        String text = hostText.strip();
        int space = text.indexOf(' ');
        if (space < 0) {
            throw new IllegalArgumentException("uptime: expected 'UPTIME IDLE', got '" + text + "'");
        }
        long hostUptime = Fields.parseHundredths(text, 0, space);
        long hostIdle = Fields.parseHundredths(text, space + 1, text.length());
        long startedAt = view.startedAfterBoot().toMillis() / 10;
        long uptime = Math.max(0, hostUptime - startedAt);
        int hostCpus = Math.max(1, view.hostOnlineCpus().cardinality());
        int shownCpus = view.visibleCpus().cardinality();
        long idle = 0;
        if (hostUptime > 0) {
            double share = (double) uptime / hostUptime * shownCpus / hostCpus;
            idle = Math.min((long) (hostIdle * share), uptime * shownCpus);
        }
        StringBuilder out = new StringBuilder(32);
        Fields.appendHundredths(out, uptime);
        out.append(' ');
        Fields.appendHundredths(out, idle);
        return out.append('\n').toString();
    }
}
