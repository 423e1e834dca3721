package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuListTest {

    @Test
    void parsesRangesAndSingles() {
        assertEquals("{0, 1, 2, 3, 6}", CpuList.parse("0-3,6\n").toString());
        assertEquals("{5}", CpuList.parse("5").toString());
        assertTrue(CpuList.parse("\n").isEmpty());
    }

    @Test
    void rejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("0-x"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("3-1"));
    }
}
