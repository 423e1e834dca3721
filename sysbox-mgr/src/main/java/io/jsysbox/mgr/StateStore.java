package io.jsysbox.mgr;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsysbox.api.AtomicFiles;
import io.jsysbox.api.RuntimeDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and atomically rewrites state.json (write a temp file, fsync, rename over); host root's alone (0600). */
public final class StateStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;

    public StateStore(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public ManagerState load() throws IOException {
        if (!Files.exists(file)) {
            return ManagerState.empty();
        }
        try {
            ManagerState state = JSON.readValue(file.toFile(), ManagerState.class);
            if (state.version() < 1 || state.version() > ManagerState.CURRENT_VERSION) {
                throw new IOException("unsupported state version " + state.version() + " (this manager reads 1 to "
                        + ManagerState.CURRENT_VERSION + ")");
            }
            // Version 1 kept the inits' starts as pidStartMillis, which reading drops (an unknown property): their
            // starts are not known and their pids are trusted until the containers start again.
            return state.withVersion(ManagerState.CURRENT_VERSION);
        } catch (IOException e) {
            throw new IOException(
                    "cannot read manager state " + file + ": " + e.getMessage()
                            + " (move it away to start afresh; containers it lists then keep their mounts and ranges)",
                    e);
        }
    }

    public void save(ManagerState state) throws IOException {
        RuntimeDirs.createIfMissing(file.getParent(), RuntimeDirs.PASSED_BY_CONTAINERS);
        AtomicFiles.replace(
                file,
                JSON.writeValueAsBytes(state),
                RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE),
                AtomicFiles.Durability.DURABLE);
    }
}
