package io.jsysbox.procfs;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One container's sysctl values: a key reads as the host's value (or its own UUID source) until the
 * container writes a valid value; written values stay here and never reach the host. Safe for concurrent
 * readers and writers (FUSE serves requests on several threads).
 */
public final class SysctlStore {
    private final Map<SysctlKey, String> written = new ConcurrentHashMap<>();
    private final String bootId;

    /** A store for a newly started container, with a new random boot id. */
    public SysctlStore() {
        this(UUID.randomUUID());
    }

    /** A store with a known boot id (a container whose values are restored after a daemon restart). */
    public SysctlStore(UUID bootId) {
        this.bootId = Objects.requireNonNull(bootId).toString() + "\n";
    }

    /** The file content the container reads; {@code hostValue} supplies the host's content, read only when needed. */
    public String read(SysctlKey key, Supplier<String> hostValue) {
        return switch (key.source()) {
            case CONTAINER_BOOT_ID -> bootId;
            case FRESH_UUID -> UUID.randomUUID().toString() + "\n";
            case HOST -> {
                String value = written.get(key);
                yield value != null ? value : hostValue.get();
            }
        };
    }

    /** Validates a write as the kernel would and, when it changes the value, keeps the new value. */
    public SysctlWrite write(SysctlKey key, byte[] data, long offset) {
        SysctlWrite outcome = key.format().write(data, offset);
        if (outcome instanceof SysctlWrite.Accepted(var _, var value) && value.isPresent()) {
            written.put(key, value.get());
        }
        return outcome;
    }
}
