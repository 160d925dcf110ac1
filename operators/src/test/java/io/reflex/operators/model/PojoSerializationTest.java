package io.reflex.operators.model;

import static org.apache.flink.types.PojoTestUtils.assertSerializedAsPojoWithoutKryo;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.agent.AgentKeyState;
import io.reflex.operators.agent.AgentMemory;
import io.reflex.operators.agent.PendingRequest;
import io.reflex.operators.decide.LlmOutcome;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.detect.DetectorState;
import io.reflex.operators.detect.RecentEvent;
import io.reflex.operators.detect.RuleState;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.junit.jupiter.api.Test;

/**
 * Every type that crosses the network or lives in state is serialized by Flink's POJO serializer or
 * by a serializer of Reflex's own (the hot-path types: {@link Event}, {@code KeyStats}, the recent
 * events' ring), never by Kryo, so that it can evolve across savepoints.
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
    void eventsHaveTheirOwnSerializer() {
        assertThat(TypeInformation.of(Event.class).createSerializer(new SerializerConfigImpl()))
                .isSameAs(EventSerializer.INSTANCE);
    }

    @Test
    void streamRecordTypesArePojos() {
        assertSerializedAsPojoWithoutKryo(Trigger.class);
        assertSerializedAsPojoWithoutKryo(Action.class);
        assertSerializedAsPojoWithoutKryo(DeadLetter.class);
        assertSerializedAsPojoWithoutKryo(KeyedJson.class);
        assertSerializedAsPojoWithoutKryo(io.reflex.operators.state.StateView.class);
        assertSerializedAsPojoWithoutKryo(Decoded.class);
        assertSerializedAsPojoWithoutKryo(LlmOutcome.class);
    }
}
