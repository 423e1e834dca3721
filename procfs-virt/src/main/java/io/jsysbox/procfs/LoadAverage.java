package io.jsysbox.procfs;

/** A /proc/loadavg tuple computed for one container (by whoever samples its tasks). */
public record LoadAverage(
        double oneMinute, double fiveMinutes, double fifteenMinutes, int runnableTasks, int totalTasks, int lastPid) {}
