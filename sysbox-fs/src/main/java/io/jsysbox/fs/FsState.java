package io.jsysbox.fs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsysbox.api.AtomicFiles;
import io.jsysbox.api.RuntimeDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * fs-state.json: the registered containers, their slots and the sysctls they wrote, so a daemon restart keeps
 * them all. A daemon that takes over the FUSE connection meets the node ids its predecessor handed out, which
 * carry the slots (see {@link FsTree}): each container must keep its slot, and no slot may be given twice.
 * Files written before slots existed read with {@code nextSlot} and every {@code slot} 0 (none given yet).
 * <p>
 * It describes running containers only, so a file written before the host's last boot names none: it is ignored,
 * whatever it holds. That is why a save is not synced to disk (two fsyncs cost 1-2 ms on each Register and Protect, on
 * every container's start): a power cut can tear the file, but only a file of an earlier boot.
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
        return load(file, bootTime());
    }

    /** Loads {@code file}, empty when it is missing or older than {@code bootTime}. */
    static FsState load(Path file, Instant bootTime) throws IOException {
        if (!Files.exists(file) || Files.getLastModifiedTime(file).toInstant().isBefore(bootTime)) {
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

    /** When the host booted: /proc/stat's btime. */
    private static Instant bootTime() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
            if (line.startsWith("btime ")) {
                return Instant.ofEpochSecond(
                        Long.parseLong(line.substring("btime ".length()).strip()));
            }
        }
        throw new IOException("/proc/stat has no btime line");
    }

    /**
     * Replaces {@code file} atomically: a daemon that dies leaves the old or the new state (a power cut: see above).
     * The file is host root's alone (it names every container); a missing state dir is made as the manager keeps it.
     */
    void save(Path file) throws IOException {
        RuntimeDirs.createIfMissing(file.getParent(), RuntimeDirs.PASSED_BY_CONTAINERS);
        AtomicFiles.replace(
                file,
                JSON.writeValueAsBytes(this),
                RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE),
                AtomicFiles.Durability.UNTIL_REBOOT);
    }
}
