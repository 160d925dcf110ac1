package io.reflex.operators.agent;

import io.reflex.operators.model.KeyedJson;
import java.io.Serializable;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/**
 * The agent's side outputs beside its actions and dead letters, each off when its tag is null.
 *
 * @param audit one {@link io.reflex.operators.model.AuditJson audit record} per request, when it
 *     ends
 * @param auditIncludePrompt whether audit records carry the conversation sent
 * @param decisions one record per decision: the decision half of the key's state changelog ({@link
 *     io.reflex.operators.state.StateJson})
 */
public record AgentOutputs(
        OutputTag<KeyedJson> audit, boolean auditIncludePrompt, OutputTag<KeyedJson> decisions)
        implements Serializable {

    /** No side outputs beyond the dead letters. */
    public static final AgentOutputs NONE = new AgentOutputs(null, false, null);

    /** A tag for one of these outputs. */
    public static OutputTag<KeyedJson> tag(String id) {
        return new OutputTag<>(id, TypeInformation.of(KeyedJson.class));
    }

    boolean any() {
        return audit != null || decisions != null;
    }
}
