package io.jsysbox.fs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsysbox.api.AtomicFiles;
import io.jsysbox.api.RuntimeDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * fs-state.json: the registered containers, their slots and the sysctls they wrote, so a daemon restart keeps
 * them all. A daemon that takes over the FUSE connection meets the node ids its predecessor handed out, which
 * carry the slots (see {@link FsTree}): each container must keep its slot, and no slot may be given twice.
 * Files written before slots existed read with {@code nextSlot} and every {@code slot} 0 (none given yet).
 */
record FsState(int version, long nextSlot, List<Entry> containers) {
    static final int CURRENT_VERSION = 1;

    /**
     * One container: the slot of its view, its init (pid and start ticks, to tell a reused pid), its boot id,
     * written sysctls by path and protected mounts (null in files written before those were).
     */
    record Entry(
            String id,
            long slot,
            long initPid,
            long startTicks,
            String bootId,
            Map<String, String> sysctls,
            ProtectedMounts protectedMounts) {}

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static FsState load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new FsState(CURRENT_VERSION, 0, List.of());
        }
        try {
            FsState state = JSON.readValue(file.toFile(), FsState.class);
            if (state.version() != CURRENT_VERSION) {
                throw new IOException("unsupported version " + state.version());
            }
            return state;
        } catch (IOException e) {
            throw new IOException(
                    "cannot read " + file + ": " + e.getMessage()
                            + " (move it away to start afresh; registered containers then read host values until "
                            + "re-registered)",
                    e);
        }
    }

    /**
     * Replaces {@code file} durably: a crash leaves the old or the new state. The file is host root's alone (it names
     * every container); a missing state dir is made as the manager keeps it.
     */
    void save(Path file) throws IOException {
        RuntimeDirs.createIfMissing(file.getParent(), RuntimeDirs.PASSED_BY_CONTAINERS);
        AtomicFiles.replace(
                file,
                JSON.writeValueAsBytes(this),
                RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE),
                AtomicFiles.Durability.DURABLE);
    }
}
