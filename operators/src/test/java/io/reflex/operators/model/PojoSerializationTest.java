package io.reflex.operators.model;

import static org.apache.flink.types.PojoTestUtils.assertSerializedAsPojoWithoutKryo;

import io.reflex.operators.agent.AgentKeyState;
import io.reflex.operators.agent.AgentMemory;
import io.reflex.operators.agent.PendingRequest;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.detect.DetectorState;
import io.reflex.operators.detect.RecentEvent;
import io.reflex.operators.detect.RuleState;
import io.reflex.operators.llm.LlmOutcome;
import org.junit.jupiter.api.Test;

/**
 * Every type that crosses the network or lives in state is serialized by Flink's POJO serializer,
 * never by Kryo, so that it can evolve across savepoints.
 */
class PojoSerializationTest {

    @Test
    void stateTypesArePojos() {
        assertSerializedAsPojoWithoutKryo(DetectorState.class);
        assertSerializedAsPojoWithoutKryo(RecentEvent.class);
        assertSerializedAsPojoWithoutKryo(RuleState.class);
        assertSerializedAsPojoWithoutKryo(AgentKeyState.class);
        assertSerializedAsPojoWithoutKryo(PendingRequest.class);
        assertSerializedAsPojoWithoutKryo(AgentMemory.class);
    }

    @Test
    void streamRecordTypesArePojos() {
        assertSerializedAsPojoWithoutKryo(Event.class);
        assertSerializedAsPojoWithoutKryo(Trigger.class);
        assertSerializedAsPojoWithoutKryo(Action.class);
        assertSerializedAsPojoWithoutKryo(DeadLetter.class);
        assertSerializedAsPojoWithoutKryo(Decoded.class);
        assertSerializedAsPojoWithoutKryo(LlmOutcome.class);
    }
}
