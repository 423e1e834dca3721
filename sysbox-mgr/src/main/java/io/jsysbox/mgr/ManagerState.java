package io.jsysbox.mgr;

import java.util.List;
import java.util.Map;

/** The manager's persisted state (state.json). */
public record ManagerState(int version, List<ContainerState> containers, Map<String, Integer> previousSlots, int nextSlot) {
    public static final int CURRENT_VERSION = 1;

    public ManagerState {
        containers = containers == null ? List.of() : List.copyOf(containers);
        previousSlots = previousSlots == null ? Map.of() : Map.copyOf(previousSlots);
    }

    public static ManagerState empty() { return new ManagerState(CURRENT_VERSION, List.of(), Map.of(), 0); }
}
