package io.reflex.operators.agent;

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

    /**
     * Defaults: backlog 16, 5 decisions, 600 characters, no rate limits (shared by the provider's
     * figures when set), breaker 5 / 30 s.
     */
    public static AgentOptions defaults() {
        return new AgentOptions(
                16,
                5,
                600,
                Duration.ofDays(7),
                true,
                2,
                0,
                0,
                true,
                5,
                Duration.ofSeconds(30),
                0,
                0);
    }
}
