package io.reflex.operators.agent;

import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * The agent's keyed state: its names and descriptors, shared by {@link LlmAgentOperator} and the
 * savepoint tooling. The names are part of the savepoint format; do not change them.
 */
public final class AgentState {
    /** The pending work per key ({@link AgentKeyState}); no TTL, as it holds work to be done. */
    public static final String KEY_STATE_NAME = "agent-key-state";

    /** The memory per key ({@link AgentMemory}), with the job's memory TTL. */
    public static final String MEMORY_STATE_NAME = "agent-memory";

    private AgentState() {}

    public static ValueStateDescriptor<AgentKeyState> keyStateDescriptor() {
        return new ValueStateDescriptor<>(KEY_STATE_NAME, TypeInformation.of(AgentKeyState.class));
    }

    public static ValueStateDescriptor<AgentMemory> memoryStateDescriptor(AgentOptions agent) {
        ValueStateDescriptor<AgentMemory> d =
                new ValueStateDescriptor<>(
                        MEMORY_STATE_NAME, TypeInformation.of(AgentMemory.class));
        d.enableTimeToLive(
                StateTtlConfig.newBuilder(agent.memoryTtl())
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build());
        return d;
    }
}
