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
    public static final int CURRENT_VERSION = 1;

    public ManagerState {
        containers = containers == null ? List.of() : List.copyOf(containers);
        previousSlots = previousSlots == null ? Map.of() : Map.copyOf(previousSlots);
        stoppedRootfs = stoppedRootfs == null ? Map.of() : Map.copyOf(stoppedRootfs);
    }

    public static ManagerState empty() {
        return new ManagerState(CURRENT_VERSION, List.of(), Map.of(), 0, Map.of());
    }
}
