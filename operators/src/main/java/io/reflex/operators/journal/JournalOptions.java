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
 */
public record JournalOptions(
        boolean enabled,
        String topic,
        int partitions,
        Duration retention,
        int maxRestoreEntries,
        Duration restoreTimeout,
        Duration groupWait)
        implements Serializable {

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
                GROUP_WAIT.defaultValue());
    }
}
