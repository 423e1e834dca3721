package io.jsysbox.runc;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsysbox.spec.ConfigFile;
import io.jsysbox.spec.ExecProcess;
import io.jsysbox.spec.JsysboxException;
import java.util.List;

/** What {@code runc state ID} says about a container. */
record RuncState(long pid, JsonNode annotations) {
    static RuncState of(Runc runc, String id) throws JsysboxException {
        JsonNode state = ConfigFile.parse(runc.output("state", List.of(id)), "the output of 'runc state " + id + "'");
        return new RuncState(state.path("pid").asLong(), state.path("annotations"));
    }

    boolean isSystemContainer() {
        return ExecProcess.ofSystemContainer(annotations);
    }
}
