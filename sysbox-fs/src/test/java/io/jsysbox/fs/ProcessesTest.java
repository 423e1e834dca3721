package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcessesTest {
    @Test
    void namespaceLinksAndRootIds() {
        assertEquals(4026531836L, Processes.parseNamespaceLink("pid:[4026531836]"));
        assertThrows(IllegalArgumentException.class, () -> Processes.parseNamespaceLink("pid"));
        assertEquals(0, Processes.parseRootId("         0          0 4294967295\n"));
        assertEquals(165536, Processes.parseRootId("         0     165536      65536\n"));
        assertEquals(-1, Processes.parseRootId("      1000     100000          1\n"));
        assertEquals(65536, Processes.parseRootIdCount("         0     165536      65536\n"));
        assertEquals(-1, Processes.parseRootIdCount("      1000     100000          1\n"));
    }

    @Test
    void ownProcessHasANamespace() {
        long pid = ProcessHandle.current().pid();
        assertTrue(Processes.pidNamespace(pid) > 0);
        assertEquals(-1, Processes.pidNamespace(Integer.MAX_VALUE));
    }
}
