package io.reflex.operators.agent;

import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The agent's spend budgets: tokens per key per UTC day (keyed state) and the job's cost per UTC
 * day (each subtask its even share; union list state, so that a restore at any parallelism starts
 * from the day's total). Before each call the worst case is checked: the prompt's tokens plus
 * {@code max-tokens}. After each answer the tokens it used are counted. Mailbox thread only.
 */
final class AgentBudget {
    private static final long DAY_MS = Duration.ofDays(1).toMillis();

    static final ListStateDescriptor<DailySpend> SPEND =
            new ListStateDescriptor<>("reflex-budget-spend", DailySpend.class);

    /** A key's tokens today; kept two days, since only today's count matters. */
    static ValueStateDescriptor<KeyTokens> keyTokensDescriptor() {
        ValueStateDescriptor<KeyTokens> d =
                new ValueStateDescriptor<>("agent-key-tokens", TypeInformation.of(KeyTokens.class));
        d.enableTimeToLive(
                StateTtlConfig.newBuilder(Duration.ofDays(2))
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build());
        return d;
    }

    private final long tokensPerKey;
    private final long microUsdPerSubtask;
    private final AgentOptions agent;
    private final int maxCompletionTokens;
    private long day = -1;
    private long spentMicroUsd;
    private final Counter exceeded;

    AgentBudget(
            BudgetOptions budget,
            AgentOptions agent,
            int maxCompletionTokens,
            int parallelism,
            MetricGroup metrics) {
        this.tokensPerKey = budget.tokensPerKeyPerDay();
        this.microUsdPerSubtask = Math.round(budget.costPerDay() * 1e6 / parallelism);
        this.agent = agent;
        this.maxCompletionTokens = maxCompletionTokens;
        MetricGroup g = metrics.addGroup("reflex").addGroup("budget");
        exceeded = g.counter("budgetExceededTriggers");
        g.gauge("budgetSpentTodayMicroUsd", () -> spentMicroUsd);
    }

    /** Starts from today's spend of every subtask before the restore, shared evenly. */
    void restore(Iterable<DailySpend> spends, int parallelism, long now) {
        long today = now / DAY_MS;
        long total = 0;
        for (DailySpend s : spends) {
            if (s.day == today) {
                total += s.microUsd;
            }
        }
        day = today;
        spentMicroUsd = total / parallelism;
    }

    void snapshot(ListState<DailySpend> state) throws Exception {
        state.update(List.of(new DailySpend(day, spentMicroUsd)));
    }

    /**
     * Why a call with {@code promptTokens} for a key that used {@code used} today may not go out,
     * starting with {@code budget_exceeded}; null when it may.
     */
    String refuse(KeyTokens used, long promptTokens, long now) {
        long today = now / DAY_MS;
        long worst = promptTokens + maxCompletionTokens;
        if (tokensPerKey > 0) {
            long usedToday = used == null || used.day != today ? 0 : used.tokens;
            if (usedToday + worst > tokensPerKey) {
                return "budget_exceeded: the key used "
                        + usedToday
                        + " of its "
                        + tokensPerKey
                        + " tokens today, and this call may take "
                        + worst;
            }
        }
        if (microUsdPerSubtask > 0) {
            roll(today);
            long cost = agent.costMicroUsd(promptTokens, maxCompletionTokens);
            if (spentMicroUsd + cost > microUsdPerSubtask) {
                return "budget_exceeded: this subtask spent "
                        + spentMicroUsd
                        + " of its "
                        + microUsdPerSubtask
                        + " micro-dollars today, and this call may cost "
                        + cost;
            }
        }
        return null;
    }

    /** Counts an answer's tokens against the key and its cost against the day; the key's count. */
    KeyTokens spent(KeyTokens used, long promptTokens, long completionTokens, long now) {
        long today = now / DAY_MS;
        roll(today);
        spentMicroUsd += agent.costMicroUsd(promptTokens, completionTokens);
        KeyTokens k = used == null || used.day != today ? new KeyTokens(today, 0) : used;
        k.tokens += promptTokens + completionTokens;
        return k;
    }

    /** Whether tokens per key are budgeted, so that the key's count is kept. */
    boolean perKey() {
        return tokensPerKey > 0;
    }

    /** {@code triggers} were dead-lettered for a budget. */
    void exceeded(int triggers) {
        exceeded.inc(triggers);
    }

    private void roll(long today) {
        if (today != day) {
            day = today;
            spentMicroUsd = 0;
        }
    }
}
