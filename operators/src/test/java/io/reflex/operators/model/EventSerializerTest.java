package io.reflex.operators.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.decode.Decoded;
import java.io.IOException;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Tests for {@link EventSerializer}. */
class EventSerializerTest {

    private static <T> T roundTrip(TypeSerializer<T> s, T value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        s.serialize(value, out);
        s.serialize(value, out); // two in a row: each reads exactly its own bytes
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        T first = s.deserialize(in);
        T second = s.deserialize(in);
        assertThat(in.available()).isZero();
        DataOutputSerializer again = new DataOutputSerializer(64);
        s.serialize(first, again);
        s.serialize(second, again);
        assertThat(again.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
        return first;
    }

    @Test
    void flinkPicksItForEventsAndForEventsInsideDecoded() throws IOException {
        assertThat(TypeInformation.of(Event.class))
                .isInstanceOf(EventSerializer.EventTypeInfo.class);
        TypeSerializer<Decoded> decoded =
                TypeInformation.of(Decoded.class).createSerializer(new SerializerConfigImpl());
        Event e =
                new Event(
                        "kafka:t",
                        "ACME",
                        1_000,
                        "t1",
                        "{\"p\":1}",
                        new double[] {1.5, Double.NaN},
                        new String[] {null, "x"});
        Decoded back = roundTrip(decoded, Decoded.ok(e));
        assertThat(back.event().numbers()).containsExactly(1.5, Double.NaN);
        assertThat(back.event().texts()).containsExactly(null, "x");
        assertThat(back.event()).usingRecursiveComparison().ignoringFields("numbers").isEqualTo(e);
        assertThat(back.timestamp()).isEqualTo(1_000);
    }

    @Test
    void roundTripsNullsEmptyArraysAndTextOutsideAscii() throws IOException {
        EventSerializer s = EventSerializer.INSTANCE;
        Event none = new Event(null, "k", -1, null, null);
        assertThat(roundTrip(s, none)).usingRecursiveComparison().isEqualTo(none);
        Event empty = new Event("s", "東京", Long.MAX_VALUE, "é", "{}", new double[0], new String[0]);
        assertThat(roundTrip(s, empty)).usingRecursiveComparison().isEqualTo(empty);
        Event copy = s.copy(empty);
        assertThat(copy.numbers()).isNotSameAs(empty.numbers());
    }
}
