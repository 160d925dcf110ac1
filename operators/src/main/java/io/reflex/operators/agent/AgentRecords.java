package io.reflex.operators.agent;

import io.reflex.operators.llm.ChatMessage;
import io.reflex.operators.llm.LlmResponse;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.AuditJson;
import io.reflex.operators.model.KeyedJson;
import io.reflex.operators.state.StateJson;
import java.util.List;

/**
 * Writes the agent's {@link AgentOutputs} as each request ends: its audit record, and on a decision
 * the decision half of the key's state. Mailbox thread only.
 */
final class AgentRecords {
    private final AgentOutputs outputs;
    private final AgentHost host;
    private final String model;
    private final AgentOptions agent;

    AgentRecords(AgentOutputs outputs, AgentHost host, String model, AgentOptions agent) {
        this.outputs = outputs;
        this.host = host;
        this.model = model;
        this.agent = agent;
    }

    /**
     * A decision on {@code p}: {@code actions} (empty for no action), the key's note after it, and
     * the answer; {@code live} when the LLM gave it now, not the journal.
     */
    void decided(
            String key,
            PendingRequest p,
            List<Action> actions,
            String note,
            LlmResponse response,
            boolean live,
            long now,
            List<ChatMessage> conversation,
            long timestamp) {
        if (outputs.audit() != null) {
            AuditJson.Figures figures =
                    new AuditJson.Figures(
                            response.model() != null ? response.model() : model,
                            response.promptTokens(),
                            response.completionTokens(),
                            agent.costMicroUsd(
                                    response.promptTokens(), response.completionTokens()),
                            live ? elapsed(p, now, response.latencyMs()) : 0,
                            p.attempts);
            audit(
                    key,
                    p,
                    live ? AuditJson.FROM_LLM : AuditJson.FROM_JOURNAL,
                    figures,
                    actions,
                    note,
                    null,
                    now,
                    conversation,
                    timestamp);
        }
        if (outputs.decisions() != null) {
            host.output(
                    outputs.decisions(),
                    new KeyedJson(
                            key, StateJson.decision(p.requestId, p.triggers, actions, note, now)),
                    timestamp);
        }
    }

    /** {@code p} dead-lettered for {@code reason}. */
    void failed(
            String key,
            PendingRequest p,
            String reason,
            long now,
            List<ChatMessage> conversation,
            long timestamp) {
        if (outputs.audit() == null) {
            return;
        }
        AuditJson.Figures figures =
                new AuditJson.Figures(model, 0, 0, 0, elapsed(p, now, 0), p.attempts);
        audit(
                key,
                p,
                AuditJson.FROM_LLM,
                figures,
                null,
                null,
                reason,
                now,
                conversation,
                timestamp);
    }

    private void audit(
            String key,
            PendingRequest p,
            String answeredBy,
            AuditJson.Figures figures,
            List<Action> actions,
            String note,
            String cause,
            long now,
            List<ChatMessage> conversation,
            long timestamp) {
        byte[] json =
                AuditJson.render(
                        p.requestId,
                        key,
                        p.triggers,
                        answeredBy,
                        figures,
                        actions,
                        note,
                        cause,
                        outputs.auditIncludePrompt() ? conversation : null,
                        now);
        host.output(outputs.audit(), new KeyedJson(key, json), timestamp);
    }

    /** From the request's first attempt to {@code now}; {@code otherwise} before any attempt. */
    private static long elapsed(PendingRequest p, long now, long otherwise) {
        return p.firstAttemptAt >= 0 ? Math.max(0, now - p.firstAttemptAt) : otherwise;
    }
}
