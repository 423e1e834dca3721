package io.jsysbox.fs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The message a runtime sends a seccomp agent with the notify descriptor (OCI runtime spec, "seccomp" listenerPath):
 * {@code {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state": {"id", "status", "pid", "bundle", ...}}},
 * the descriptors in SCM_RIGHTS in the order of {@code fds}. runc 1.1 to 1.3 send one, in one sendmsg(2), when they
 * create a container and at each exec; they do not close the connection (an exec's runc keeps it open while the
 * process runs), so a message ends where its JSON value ends. Only what the agent uses is kept; the rest is ignored.
 *
 * @param fdNames     the names of the passed descriptors, by position
 * @param pid         the process whose filter it is (the container's init, or the exec'd process)
 * @param initPid     the container's init (state.pid), 0 when not given
 * @param containerId the container's id: state.id, or the listener metadata when the state has none (jsysbox's
 *                    spec rewrite sets both to the id)
 */
record ContainerProcessState(List<String> fdNames, long pid, long initPid, String containerId) {
    static final String SECCOMP_FD_NAME = "seccompFd";
    private static final ObjectMapper JSON = new ObjectMapper();

    ContainerProcessState {
        fdNames = List.copyOf(fdNames);
    }

    /** Parses a message; IllegalArgumentException, saying what is wrong, for anything else. */
    static ContainerProcessState parse(byte[] message) {
        return parseIfComplete(message)
                .orElseThrow(() -> new IllegalArgumentException(
                        message.length == 0 ? "not a JSON object" : "not JSON: it ends in the middle of a value"));
    }

    /**
     * Parses {@code message} once its JSON value is complete: empty while it ends in the middle of one (more is to
     * come); IllegalArgumentException, saying what is wrong, for anything that is not a runtime's message.
     */
    static Optional<ContainerProcessState> parseIfComplete(byte[] message) {
        JsonNode root;
        try {
            root = JSON.readTree(message);
        } catch (JsonEOFException e) {
            return Optional.empty();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            return Optional.empty();
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode name : root.path("fds")) {
            if (!name.isTextual()) {
                throw new IllegalArgumentException("fds holds " + name + ", not a descriptor name");
            }
            names.add(name.asText());
        }
        JsonNode state = root.path("state");
        String id = state.path("id").asText("");
        if (id.isEmpty()) {
            id = root.path("metadata").asText("");
        }
        if (id.isEmpty()) {
            throw new IllegalArgumentException("names no container (no state.id, no metadata)");
        }
        long initPid = state.path("pid").asLong(0);
        return Optional.of(new ContainerProcessState(names, root.path("pid").asLong(0), initPid, id));
    }

    /** The position of the seccomp notify descriptor among those passed, or -1. */
    int seccompFdIndex() {
        return fdNames.indexOf(SECCOMP_FD_NAME);
    }
}
