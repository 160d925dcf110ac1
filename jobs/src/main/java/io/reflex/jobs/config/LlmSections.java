package io.reflex.jobs.config;

import io.reflex.operators.agent.AgentOptions;
import io.reflex.operators.agent.BudgetOptions;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.llm.LlmOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Reads the {@code llm} mapping of a job file: the endpoint and prompts, the keyed agent's
 * settings, its budgets, and the response journal with record and replay.
 */
final class LlmSections {
    private LlmSections() {}

    static LlmOptions llm(Section l) {
        String baseUrl = l.get(LlmOptions.BASE_URL);
        if (baseUrl != null) {
            try {
                URI u = URI.create(baseUrl);
                if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                    l.problem("base-url", "expected an http or https URL, was '" + baseUrl + "'");
                }
            } catch (IllegalArgumentException e) {
                l.problem("base-url", "not a URL: " + e.getMessage());
            }
        }
        String apiKey = l.get(LlmOptions.API_KEY);
        String keyFile = l.get(LlmOptions.API_KEY_FILE);
        if (keyFile != null && !keyFile.isBlank()) {
            try {
                apiKey = Files.readString(Path.of(keyFile), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                l.problem(
                        "api-key-file",
                        "cannot read " + keyFile + " (" + e.getClass().getSimpleName() + ")");
            }
        }
        String template = l.get(LlmOptions.PROMPT_TEMPLATE);
        if (!template.contains("{{context}}")) {
            l.problem("prompt-template", "must contain {{context}}, where the event data goes");
        }
        Duration initial = l.get(LlmOptions.INITIAL_BACKOFF);
        Duration max = l.get(LlmOptions.MAX_BACKOFF);
        if (max.compareTo(initial) < 0) {
            l.problem("max-backoff", "must not be below initial-backoff");
        }
        return new LlmOptions(
                baseUrl,
                apiKey == null ? "" : apiKey,
                l.get(LlmOptions.MODEL),
                l.get(LlmOptions.TIMEOUT),
                l.get(LlmOptions.MAX_ATTEMPTS),
                initial,
                max,
                l.get(LlmOptions.MAX_CONCURRENT),
                l.get(LlmOptions.SYSTEM_PROMPT),
                template,
                l.get(LlmOptions.TEMPERATURE),
                l.get(LlmOptions.MAX_TOKENS),
                l.get(LlmOptions.MAX_PROMPT_TOKENS),
                l.get(LlmOptions.STRUCTURED_OUTPUT));
    }

    static AgentOptions agent(Section l) {
        Section breaker = l.section("circuit-breaker", false);
        breaker.onlyKeys(JobFileSections.CIRCUIT_BREAKER);
        Section price = l.section("price", false);
        price.onlyKeys(JobFileSections.PRICE);
        return new AgentOptions(
                l.get(AgentOptions.MAX_BACKLOG),
                l.get(AgentOptions.MEMORY_DECISIONS),
                l.get(AgentOptions.MEMORY_MAX_CHARS),
                l.get(AgentOptions.MEMORY_TTL),
                l.get(AgentOptions.REPAIR_INVALID),
                l.get(AgentOptions.MAX_TOOL_ROUNDS),
                l.get(AgentOptions.REQUESTS_PER_MINUTE),
                l.get(AgentOptions.TOKENS_PER_MINUTE),
                l.get(AgentOptions.QUOTA_FROM_HEADERS),
                breaker.get(AgentOptions.BREAKER_FAILURES),
                breaker.get(AgentOptions.BREAKER_COOLDOWN),
                price.get(AgentOptions.PRICE_INPUT_PER_MILLION),
                price.get(AgentOptions.PRICE_OUTPUT_PER_MILLION));
    }

    static JournalOptions journal(Section llm, Section j, Section replay) {
        j.onlyKeys(JobFileSections.JOURNAL);
        replay.onlyKeys(JobFileSections.REPLAY);
        String mode = llm.get(JournalOptions.MODE);
        boolean enabled = j.get(JournalOptions.ENABLED);
        if (!enabled && !JournalOptions.LIVE.equals(mode)) {
            llm.problem("mode", mode + " needs the journal; remove llm.journal.enabled: false");
        }
        return new JournalOptions(
                enabled,
                j.get(JournalOptions.TOPIC),
                j.get(JournalOptions.PARTITIONS),
                j.get(JournalOptions.RETENTION),
                j.get(JournalOptions.MAX_RESTORE_ENTRIES),
                j.get(JournalOptions.RESTORE_TIMEOUT),
                j.get(JournalOptions.GROUP_WAIT),
                mode,
                replay.get(JournalOptions.REPLAY_JOURNAL),
                replay.get(JournalOptions.ON_MISS));
    }

    static BudgetOptions budget(Section b, AgentOptions agent) {
        b.onlyKeys(JobFileSections.BUDGET);
        BudgetOptions budget =
                new BudgetOptions(
                        b.get(BudgetOptions.TOKENS_PER_KEY_PER_DAY),
                        b.get(BudgetOptions.COST_PER_DAY));
        if (budget.costPerDay() > 0
                && agent.priceInputPerMillion() == 0
                && agent.priceOutputPerMillion() == 0) {
            b.problem(
                    "cost-per-day",
                    "needs llm.price.input-per-million or output-per-million to count the cost");
        }
        return budget;
    }
}
