package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContainerProcessStateTest {
    /** What runc 1.1.5 sends at create (its specs.ContainerProcessState, as json.Marshal writes it). */
    private static final String RUNC_CREATE = """
            {"ociVersion":"1.0.2-dev","fds":["seccompFd"],"pid":4242,"metadata":"c3241ef7957a",
             "state":{"ociVersion":"1.0.2-dev","id":"c3241ef7957a","status":"creating","pid":4242,
             "bundle":"/run/containerd/io.containerd.runtime.v2.task/moby/c3241ef7957a",
             "annotations":{"io.jsysbox.transformed":"true"}}}""";

    private static ContainerProcessState parse(String json) {
        return ContainerProcessState.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void runcsMessageAtCreate() {
        ContainerProcessState state = parse(RUNC_CREATE);
        assertEquals("c3241ef7957a", state.containerId());
        assertEquals(List.of("seccompFd"), state.fdNames());
        assertEquals(0, state.seccompFdIndex());
        assertEquals(4242, state.pid());
        assertEquals(4242, state.initPid(), "the init's own filter");
    }

    @Test
    void anExecNamesTheContainersInitAndItsOwnProcess() {
        ContainerProcessState exec = parse("""
                {"ociVersion":"1.0.2","fds":["other","seccompFd"],"pid":5151,"metadata":"",
                 "state":{"id":"c1","status":"running","pid":4242,"bundle":"/b"}}""");
        assertEquals(1, exec.seccompFdIndex());
        assertEquals(5151, exec.pid());
        assertEquals(4242, exec.initPid());
    }

    @Test
    void theMetadataNamesTheContainerWhenTheStateDoesNot() {
        assertEquals(
                "c2", parse("{\"fds\":[\"seccompFd\"],\"metadata\":\"c2\"}").containerId());
        assertEquals(-1, parse("{\"metadata\":\"c2\"}").seccompFdIndex(), "no descriptor named");
    }

    @Test
    void aMessageIsCompleteWhenItsJsonValueIs() {
        byte[] whole = RUNC_CREATE.getBytes(StandardCharsets.UTF_8);
        for (int cut : new int[] {0, 1, 40, whole.length - 1}) {
            assertTrue(
                    ContainerProcessState.parseIfComplete(Arrays.copyOf(whole, cut))
                            .isEmpty(),
                    "cut at " + cut);
        }
        assertEquals(
                "c3241ef7957a",
                ContainerProcessState.parseIfComplete(whole).orElseThrow().containerId());
        byte[] accented = "{\"metadata\":\"café\"}".getBytes(StandardCharsets.UTF_8);
        assertTrue(
                ContainerProcessState.parseIfComplete(Arrays.copyOf(accented, accented.length - 3))
                        .isEmpty(),
                "a character cut in two by a short read: more is to come");
        assertThrows(
                IllegalArgumentException.class,
                () -> ContainerProcessState.parseIfComplete("{\"fds\" 3".getBytes(StandardCharsets.UTF_8)),
                "malformed however it goes on");
    }

    @Test
    void anythingElseIsRefusedWithWhy() {
        assertTrue(refusal("").contains("not a JSON object"));
        assertTrue(refusal("{\"fds\":[\"seccompFd\"").contains("not JSON"));
        assertTrue(refusal("[1, 2]").contains("not a JSON object"));
        assertTrue(refusal("{\"fds\":[3],\"metadata\":\"c\"}").contains("not a descriptor name"));
        assertTrue(refusal("{\"fds\":[\"seccompFd\"],\"state\":{\"status\":\"running\"}}")
                .contains("names no container"));
        assertTrue(refusal("\u0000\u0001binary").contains("not JSON"));
        assertTrue(refusal("[".repeat(100_000)).contains("not JSON"), "deep nesting is refused, not a stack overflow");
    }

    private static String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> parse(json)).getMessage();
    }
}
