package io.jsysbox.mgr;

import java.util.List;
import java.util.Map;

/**
 * The manager's persisted state (state.json). {@code stoppedRootfs}: the rootfs of each stopped container whose
 * previous slot is remembered, so the memory is dropped once the container is removed (its rootfs is gone).
 */
public record ManagerState(
        int version,
        List<ContainerState> containers,
        Map<String, Integer> previousSlots,
        int nextSlot,
        Map<String, String> stoppedRootfs) {
    /** 2: containers keep their init's start in clock ticks (pidStartTicks); version 1's pidStartMillis is dropped. */
    public static final int CURRENT_VERSION = 2;

    public ManagerState {
        containers = containers == null ? List.of() : List.copyOf(containers);
        previousSlots = previousSlots == null ? Map.of() : Map.copyOf(previousSlots);
        stoppedRootfs = stoppedRootfs == null ? Map.of() : Map.copyOf(stoppedRootfs);
    }

    public ManagerState withVersion(int newVersion) {
        return new ManagerState(newVersion, containers, previousSlots, nextSlot, stoppedRootfs);
    }

    public static ManagerState empty() {
        return new ManagerState(CURRENT_VERSION, List.of(), Map.of(), 0, Map.of());
    }
}
