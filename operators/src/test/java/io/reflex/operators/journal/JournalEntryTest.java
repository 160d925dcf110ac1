package io.reflex.operators.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link JournalEntry} and {@link JournalIndex}. */
class JournalEntryTest {
    private static final JournalEntry ENTRY =
            new JournalEntry(
                    "r1",
                    "ACME",
                    "c0ffee",
                    List.of("t1", "t2"),
                    "gpt-4o-mini",
                    "{\"actions\":[]}",
                    120,
                    15,
                    340,
                    2,
                    1_700_000_000_000L);

    /** Version 1 of the JSON form, pinned: a change that breaks it fails here. */
    private static final String V1 =
            "{\"v\":1,\"entry\":{\"request_id\":\"r1\",\"key\":\"ACME\",\"content_hash\":\"c0ffee\","
                    + "\"trigger_ids\":[\"t1\",\"t2\"],\"model\":\"gpt-4o-mini\","
                    + "\"content\":\"{\\\"actions\\\":[]}\",\"prompt_tokens\":120,"
                    + "\"completion_tokens\":15,\"latency_ms\":340,\"attempts\":2,"
                    + "\"answered_at\":1700000000000}}";

    @Test
    void version1IsPinnedAndReadsBack() {
        assertThat(new String(ENTRY.toJson(), StandardCharsets.UTF_8)).isEqualTo(V1);
        assertThat(JournalEntry.fromJson(V1.getBytes(StandardCharsets.UTF_8))).isEqualTo(ENTRY);
    }

    @Test
    void otherVersionsAndGarbageAreSkippedNotMisread() {
        assertThat(JournalEntry.fromJson(V1.replace("\"v\":1", "\"v\":2").getBytes())).isNull();
        assertThat(JournalEntry.fromJson("not json".getBytes())).isNull();
        assertThat(JournalEntry.fromJson(new byte[0])).isNull();
    }

    @Test
    void theIndexIsBoundedAndTakesEachEntryOnce() {
        JournalIndex index = new JournalIndex(2);
        index.add(entry("r1", "t1"));
        index.add(entry("r2", "t2", "t3"));
        index.add(entry("r3", "t4"));
        assertThat(index.size()).isEqualTo(2);
        assertThat(index.dropped()).isEqualTo(1);
        assertThat(index.take("r1")).as("the oldest was dropped").isNull();
        assertThat(index.covering("t1")).isNull();
        assertThat(index.covering("t3").requestId()).isEqualTo("r2");
        assertThat(index.take("r2").requestId()).isEqualTo("r2");
        assertThat(index.take("r2")).as("taken once").isNull();
        assertThat(index.covering("t2")).isNull();
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void aLaterEntryForTheSameRequestReplacesTheEarlier() {
        JournalIndex index = new JournalIndex(10);
        index.add(entry("r1", "t1", "t2"));
        index.add(entry("r1", "t1"));
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.covering("t2")).isNull();
        assertThat(index.covering("t1").triggerIds()).containsExactly("t1");
    }

    private static JournalEntry entry(String request, String... triggers) {
        return new JournalEntry(request, "K", "h", List.of(triggers), "m", "{}", 1, 1, 1, 1, 1);
    }
}
