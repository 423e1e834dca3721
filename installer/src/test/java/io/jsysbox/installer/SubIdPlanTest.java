package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SubIdPlanTest {
    private static final long POOL = SubIdPlan.POOL_SIZE;

    @Test
    void emptyFilesGetThePoolAtTheFirstAlignedStartAboveTheUserRanges() {
        SubIdPlan.Result r = SubIdPlan.plan("", "");
        assertEquals(new SubIdPlan.Entry("jsysbox", 196608, POOL), r.pool());
        assertEquals("jsysbox:196608:" + POOL + "\n", r.subuid());
        assertEquals(r.subuid(), r.subgid());
    }

    @Test
    void poolStartsAboveEveryEntryOfBothFilesAligned() {
        String subuid = "alice:100000:65536\nbob:165536:65536\n";
        String subgid = "alice:100000:65536\ncarol:300000:10\n"; // ends at 300010 -> next multiple of 65536 is 327680
        SubIdPlan.Result r = SubIdPlan.plan(subuid, subgid);
        assertEquals(327680, r.pool().start());
        assertEquals(subuid + "jsysbox:327680:" + POOL + "\n", r.subuid());
        assertEquals(subgid + "jsysbox:327680:" + POOL + "\n", r.subgid());
    }

    @Test
    void existingEntriesAreKeptUnchanged() {
        String text = "# comment\nalice:100000:65536\njsysbox:524288:" + POOL;
        SubIdPlan.Result r = SubIdPlan.plan(text, text);
        assertEquals(524288, r.pool().start());
        assertEquals(text, r.subuid());
        assertEquals(text, r.subgid());
    }

    @Test
    void anEntryInOneFileIsCopiedToTheOther() {
        SubIdPlan.Result r = SubIdPlan.plan("jsysbox:262144:65536\n", "alice:100000:65536");
        assertEquals("alice:100000:65536\njsysbox:262144:65536\n", r.subgid());
    }

    @Test
    void anEntryThatWouldOverlapInTheOtherFileIsRefused() {
        assertThrows(IllegalStateException.class, () -> SubIdPlan.plan("jsysbox:262144:65536\n", "bob:262200:5\n"));
    }

    @Test
    void differingEntriesAreRefused() {
        assertThrows(
                IllegalStateException.class, () -> SubIdPlan.plan("jsysbox:262144:65536\n", "jsysbox:327680:65536\n"));
    }

    @Test
    void malformedLinesAndCommentsAreIgnoredForPlanning() {
        List<SubIdPlan.Entry> entries = SubIdPlan.parse("# x:1:2\nbroken\nbad:x:1\nok:10:5\n\n");
        assertEquals(List.of(new SubIdPlan.Entry("ok", 10, 5)), entries);
        assertEquals(196608, SubIdPlan.nextStart(entries));
    }

    @Test
    void exactlyAlignedEndIsNotRoundedFurther() {
        assertEquals(196608 + 65536, SubIdPlan.nextStart(List.of(new SubIdPlan.Entry("a", 196608, 65536))));
    }

    @Test
    void withoutEntryRemovesOnlyJsysboxLines() {
        assertEquals(
                "alice:100000:65536\n# jsysbox:1:1\n",
                SubIdPlan.withoutEntry("alice:100000:65536\njsysbox:165536:" + POOL + "\n# jsysbox:1:1\n"));
        assertEquals("", SubIdPlan.withoutEntry("jsysbox:165536:65536\n"));
    }
}
