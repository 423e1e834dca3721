package io.jsysbox.procfs;

/**
 * /proc/loadavg inside a container: the container's own load average when the view carries one (computed
 * by whoever samples the container's tasks), formatted like the kernel ("%lu.%02lu" rounded to the nearest
 * hundredth, "running/total lastpid"); otherwise the host's line unchanged: the kernel keeps no
 * per-cgroup load average, and a made-up one would mislead more than the host's.
 */
public final class LoadavgRenderer implements ProcFileRenderer {

    @Override
    public String render(ContainerView view, String hostText) {
        if (view.loadAverage().isEmpty()) {
            return hostText;
        }
        LoadAverage load = view.loadAverage().get();
        StringBuilder out = new StringBuilder(48);
        Fields.appendHundredths(out, Math.round(load.oneMinute() * 100));
        out.append(' ');
        Fields.appendHundredths(out, Math.round(load.fiveMinutes() * 100));
        out.append(' ');
        Fields.appendHundredths(out, Math.round(load.fifteenMinutes() * 100));
        return out.append(' ')
                .append(load.runnableTasks())
                .append('/')
                .append(load.totalTasks())
                .append(' ')
                .append(load.lastPid())
                .append('\n')
                .toString();
    }
}
