package io.reflex.operators.agent;

import io.reflex.connectors.config.Option;
import java.io.Serializable;
import java.time.Duration;

/**
 * Settings of the keyed {@link LlmAgentOperator} beyond the endpoint's ({@link
 * io.reflex.operators.llm.LlmOptions}).
 *
 * @param maxBacklog triggers a key may queue while its request is pending; on overflow the oldest
 *     goes to the dead-letter topic
 * @param memoryDecisions past decisions kept per key for the prompt
 * @param memoryMaxChars upper bound of the key's memory note
 * @param memoryTtl a key's memory expires after this long without decisions
 * @param repairInvalid give an invalid answer one repair attempt with the error fed back
 * @param maxToolRounds tool rounds per request; 0 offers no tools
 * @param requestsPerMinute the job's request limit, shared by its subtasks; 0 for none
 * @param tokensPerMinute the job's token limit, shared by its subtasks; 0 for none
 * @param quotaFromHeaders share the limits by the provider's {@code x-ratelimit-*} figures, so a
 *     hot subtask uses what a cold one leaves; off, or until the provider sends them, each subtask
 *     keeps to 1/parallelism of the limits
 * @param breakerFailures consecutive failures that open the circuit breaker
 * @param breakerCooldown how long an open breaker stops calls before a probe
 * @param priceInputPerMillion price of a million prompt tokens, for the cost estimate
 * @param priceOutputPerMillion price of a million completion tokens, for the cost estimate
 */
public record AgentOptions(
        int maxBacklog,
        int memoryDecisions,
        int memoryMaxChars,
        Duration memoryTtl,
        boolean repairInvalid,
        int maxToolRounds,
        long requestsPerMinute,
        long tokensPerMinute,
        boolean quotaFromHeaders,
        int breakerFailures,
        Duration breakerCooldown,
        double priceInputPerMillion,
        double priceOutputPerMillion)
        implements Serializable {

    public static final Option<Integer> MAX_BACKLOG =
            Option.key("max-backlog")
                    .intType()
                    .defaultValue(16)
                    .between(1, 10_000)
                    .withDescription(
                            "triggers a key may queue while its request is pending; on overflow the"
                                    + " oldest is dead-lettered");

    public static final Option<Integer> MEMORY_DECISIONS =
            Option.key("memory-decisions")
                    .intType()
                    .defaultValue(5)
                    .between(0, 100)
                    .withDescription("past decisions per key kept for the prompt");

    public static final Option<Integer> MEMORY_MAX_CHARS =
            Option.key("memory-max-chars")
                    .intType()
                    .defaultValue(600)
                    .between(0, 20_000)
                    .withDescription("the size of a key's memory note, at most");

    public static final Option<Duration> MEMORY_TTL =
            Option.key("memory-ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(7))
                    .withDescription("a key's memory expires after this long without decisions");

    public static final Option<Boolean> REPAIR_INVALID =
            Option.key("repair-invalid")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "an invalid answer gets one repair turn with the validation error fed"
                                    + " back");

    public static final Option<Integer> MAX_TOOL_ROUNDS =
            Option.key("max-tool-rounds")
                    .intType()
                    .defaultValue(2)
                    .between(0, 10)
                    .withDescription(
                            "rounds of read-only tool calls per request; `0` offers no tools");

    public static final Option<Long> REQUESTS_PER_MINUTE =
            Option.key("requests-per-minute")
                    .longType()
                    .defaultValue(0L)
                    .between(0L, Long.MAX_VALUE)
                    .withDefaultText("`0` (none)")
                    .withDescription(
                            "the provider's request quota for the whole job, shared by the agent's"
                                    + " subtasks (see [Rate limits](#the-llm-agent))");

    public static final Option<Long> TOKENS_PER_MINUTE =
            Option.key("tokens-per-minute")
                    .longType()
                    .defaultValue(0L)
                    .between(0L, Long.MAX_VALUE)
                    .withDefaultText("`0` (none)")
                    .withDescription(
                            "the provider's token quota for the whole job, shared by the agent's"
                                    + " subtasks");

    public static final Option<Boolean> QUOTA_FROM_HEADERS =
            Option.key("quota-from-headers")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "share the quota by the provider's `x-ratelimit-*` figures, so that a"
                                    + " hot subtask uses what a cold one leaves; `false` splits it"
                                    + " evenly, 1/parallelism each");

    /** {@code llm.circuit-breaker.failures}. */
    public static final Option<Integer> BREAKER_FAILURES =
            Option.key("failures")
                    .intType()
                    .defaultValue(5)
                    .between(1, 10_000)
                    .withDescription("consecutive failures that open the breaker");

    /** {@code llm.circuit-breaker.cooldown}. */
    public static final Option<Duration> BREAKER_COOLDOWN =
            Option.key("cooldown")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("how long the open breaker stops calls before a probe");

    /** {@code llm.price.input-per-million}. */
    public static final Option<Double> PRICE_INPUT_PER_MILLION =
            Option.key("input-per-million")
                    .doubleType()
                    .defaultValue(0.0)
                    .between(0.0, 1e6)
                    .withDescription(
                            "the price of a million prompt tokens, for the `costMicroUsd` metric");

    /** {@code llm.price.output-per-million}. */
    public static final Option<Double> PRICE_OUTPUT_PER_MILLION =
            Option.key("output-per-million")
                    .doubleType()
                    .defaultValue(0.0)
                    .between(0.0, 1e6)
                    .withDescription("the price of a million completion tokens");

    /**
     * What {@code promptTokens} and {@code completionTokens} cost by the price table, in
     * micro-dollars: the cost metric, the journal's savings and the daily budget all count with it.
     */
    public long costMicroUsd(long promptTokens, long completionTokens) {
        return Math.round(
                promptTokens * priceInputPerMillion + completionTokens * priceOutputPerMillion);
    }

    /** Every setting at its default. */
    public static AgentOptions defaults() {
        return new AgentOptions(
                MAX_BACKLOG.defaultValue(),
                MEMORY_DECISIONS.defaultValue(),
                MEMORY_MAX_CHARS.defaultValue(),
                MEMORY_TTL.defaultValue(),
                REPAIR_INVALID.defaultValue(),
                MAX_TOOL_ROUNDS.defaultValue(),
                REQUESTS_PER_MINUTE.defaultValue(),
                TOKENS_PER_MINUTE.defaultValue(),
                QUOTA_FROM_HEADERS.defaultValue(),
                BREAKER_FAILURES.defaultValue(),
                BREAKER_COOLDOWN.defaultValue(),
                PRICE_INPUT_PER_MILLION.defaultValue(),
                PRICE_OUTPUT_PER_MILLION.defaultValue());
    }
}
