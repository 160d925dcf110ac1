package io.reflex.operators.agent;

import io.reflex.connectors.config.Option;
import java.io.Serializable;

/**
 * Spend budgets of the keyed agent ({@code llm.budget}); each is off at 0. A request that would go
 * over one is not sent: its triggers are dead-lettered with the reason {@code budget_exceeded}.
 *
 * @param tokensPerKeyPerDay prompt and completion tokens one key may use per UTC day
 * @param costPerDay US dollars the whole job may spend per UTC day, by the price table; each
 *     subtask keeps to its even share
 */
public record BudgetOptions(long tokensPerKeyPerDay, double costPerDay) implements Serializable {

    public static final Option<Long> TOKENS_PER_KEY_PER_DAY =
            Option.key("tokens-per-key-per-day")
                    .longType()
                    .defaultValue(0L)
                    .between(0L, Long.MAX_VALUE)
                    .withDefaultText("`0` (none)")
                    .withDescription(
                            "prompt and completion tokens one key may use per UTC day; a request"
                                    + " whose prompt plus `max-tokens` would go over is not sent,"
                                    + " and its triggers are dead-lettered with `budget_exceeded`");

    public static final Option<Double> COST_PER_DAY =
            Option.key("cost-per-day")
                    .doubleType()
                    .defaultValue(0.0)
                    .between(0.0, 1e9)
                    .withDefaultText("`0` (none)")
                    .withDescription(
                            "US dollars the job may spend per UTC day, by `llm.price`; each"
                                    + " subtask keeps to its even share, and a request whose"
                                    + " estimate would go over is dead-lettered with"
                                    + " `budget_exceeded`");

    /** No budgets. */
    public static BudgetOptions none() {
        return new BudgetOptions(
                TOKENS_PER_KEY_PER_DAY.defaultValue(), COST_PER_DAY.defaultValue());
    }

    public boolean any() {
        return tokensPerKeyPerDay > 0 || costPerDay > 0;
    }
}
