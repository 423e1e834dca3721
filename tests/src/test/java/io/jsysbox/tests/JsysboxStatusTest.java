package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class JsysboxStatusTest {
    private static final String ID = "3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";

    @Test
    void statusLineFindsADockerContainerByItsShortId() {
        String status = "pool 165536+268435456, 4095 free\n3f1c2b9a8d7e  uids 231072+65536  pid 4242\n";
        assertEquals(Optional.of("3f1c2b9a8d7e  uids 231072+65536  pid 4242"), Jsysbox.statusLine(status, ID));
        assertEquals(Optional.empty(), Jsysbox.statusLine("pool 165536+268435456\n", ID));
    }

    @Test
    void statusLineFindsOtherIdsWhole() {
        assertEquals(Optional.of("my-box 100000"), Jsysbox.statusLine("my-box 100000\n", "my-box"));
    }

    @Test
    void rangeStartMustBeAWholeNumber() {
        assertTrue(Jsysbox.showsRangeStart("abc uids 231072+65536", 231072));
        assertTrue(Jsysbox.showsRangeStart("abc uids=231072-296607", 231072));
        assertFalse(Jsysbox.showsRangeStart("abc uids 2310720+65536", 231072));
        assertFalse(Jsysbox.showsRangeStart("abc uids 1231072+65536", 231072));
    }
}
