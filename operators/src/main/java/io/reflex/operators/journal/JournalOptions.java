package io.reflex.operators.journal;

import io.reflex.connectors.config.Option;
import java.io.Serializable;
import java.time.Duration;

/**
 * Settings of the LLM response journal ({@code llm.journal}). Its brokers and client properties
 * (security included) are the sinks'.
 *
 * @param enabled whether answers are journaled and restores read them back
 * @param topic the journal topic
 * @param partitions the topic's partitions when Reflex creates it; entries go to their key group's
 *     partition modulo the partition count
 * @param retention how long the broker keeps entries (the topic is compacted by request id too)
 * @param maxRestoreEntries the most entries a subtask keeps in memory after a restore
 * @param restoreTimeout how long a restore may read the journal before going on without the rest
 * @param groupWait how long a replayed trigger that the journal recorded with others in one request
 *     waits for them
 * @param mode {@code live}, {@code record} (live, and the journal kept without a time limit) or
 *     {@code replay} (answers served from {@code replayTopic} by the request's content)
 * @param replayTopic the journal that {@code replay} serves answers from
 * @param onMiss what {@code replay} does with a request the journal has no answer for: {@code
 *     fail}, {@code dead-letter} or {@code live}
 */
public record JournalOptions(
        boolean enabled,
        String topic,
        int partitions,
        Duration retention,
        int maxRestoreEntries,
        Duration restoreTimeout,
        Duration groupWait,
        String mode,
        String replayTopic,
        String onMiss)
        implements Serializable {

    public static final String LIVE = "live";
    public static final String RECORD = "record";
    public static final String REPLAY = "replay";
    public static final String FAIL = "fail";
    public static final String DEAD_LETTER = "dead-letter";

    /** {@code llm.mode}. */
    public static final Option<String> MODE =
            Option.key("mode")
                    .stringType()
                    .defaultValue(LIVE)
                    .withValues(LIVE, RECORD, REPLAY)
                    .withDescription(
                            "`live` calls the LLM; `record` is live and keeps the journal without"
                                    + " a time limit (when Reflex creates it); `replay` decides"
                                    + " every request from the answers in `llm.replay.journal`,"
                                    + " matched by the request's content, and never calls the LLM"
                                    + " but as `llm.replay.on-miss` says");

    /** {@code llm.replay.journal}. */
    public static final Option<String> REPLAY_JOURNAL =
            Option.key("journal")
                    .stringType()
                    .noDefaultValue()
                    .withDefaultText("`llm.journal.topic`")
                    .withDescription("the journal topic `replay` serves answers from");

    /** {@code llm.replay.on-miss}. */
    public static final Option<String> ON_MISS =
            Option.key("on-miss")
                    .stringType()
                    .defaultValue(DEAD_LETTER)
                    .withValues(FAIL, DEAD_LETTER, LIVE)
                    .withDescription(
                            "a request that `replay` finds no answer for: `dead-letter` its"
                                    + " triggers (reason `replay_miss`), `fail` the job, or ask the"
                                    + " LLM (`live`), whose answer is journaled for the next"
                                    + " replay");

    public static final Option<Boolean> ENABLED =
            Option.key("enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "journal every answer as it arrives, so that a restore serves the"
                                    + " answers given since the checkpoint instead of buying them"
                                    + " again; answers hold model output about your events, so"
                                    + " turn it off where they must not be stored");

    public static final Option<String> TOPIC =
            Option.key("topic")
                    .stringType()
                    .defaultValue("reflex.llm-journal")
                    .withDescription(
                            "the journal topic, on the sinks' brokers with the sinks' properties;"
                                    + " created (compacted) when missing");

    public static final Option<Integer> PARTITIONS =
            Option.key("partitions")
                    .intType()
                    .defaultValue(16)
                    .between(1, 32768)
                    .withDescription(
                            "the topic's partitions when Reflex creates it; an entry goes to its"
                                    + " key group's partition, modulo their count, so a restore"
                                    + " reads only its own key groups' partitions");

    public static final Option<Duration> RETENTION =
            Option.key("retention")
                    .durationType()
                    .defaultValue(Duration.ofDays(7))
                    .withDescription(
                            "how long the broker keeps an entry when Reflex creates the topic; a"
                                    + " restore needs only those since the last checkpoint");

    public static final Option<Integer> MAX_RESTORE_ENTRIES =
            Option.key("max-restore-entries")
                    .intType()
                    .defaultValue(100_000)
                    .between(1, 10_000_000)
                    .withDescription(
                            "per subtask, the most journal entries kept in memory after a"
                                    + " restore; past it the oldest are dropped and their requests"
                                    + " call the LLM again");

    public static final Option<Duration> RESTORE_TIMEOUT =
            Option.key("restore-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(60))
                    .withDescription(
                            "how long a restoring subtask reads the journal before it goes on"
                                    + " without the rest (their requests call the LLM again)");

    public static final Option<Duration> GROUP_WAIT =
            Option.key("group-wait")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "after a restore, a replayed trigger that the journal recorded as the"
                                    + " first of several in one request waits this long for the"
                                    + " others, so that the request is the recorded one and needs"
                                    + " no call; past it, the triggers that came are sent");

    /** Every setting at its default. */
    public static JournalOptions defaults() {
        return new JournalOptions(
                ENABLED.defaultValue(),
                TOPIC.defaultValue(),
                PARTITIONS.defaultValue(),
                RETENTION.defaultValue(),
                MAX_RESTORE_ENTRIES.defaultValue(),
                RESTORE_TIMEOUT.defaultValue(),
                GROUP_WAIT.defaultValue(),
                MODE.defaultValue(),
                null,
                ON_MISS.defaultValue());
    }

    public boolean replaying() {
        return REPLAY.equals(mode);
    }

    public boolean recording() {
        return RECORD.equals(mode);
    }

    /** The journal {@code replay} reads. */
    public String replaySource() {
        return replayTopic == null ? topic : replayTopic;
    }
}
