package io.reflex.operators.model;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of {@link Event} between the decoder and the detector: every event crosses that
 * shuffle once. Flink's record serializer reads and writes each field by reflection and each string
 * a character at a time; this one writes the fields in a fixed order with {@link Codec}'s bulk
 * UTF-8 strings:
 *
 * <pre>
 * string  source, key, id, payload
 * long    eventTime
 * varint  numbers + 1 (0 for null), then each double
 * varint  texts + 1 (0 for null), then each string
 * </pre>
 *
 * Events are never kept in state, so the format has no version byte; {@link Event} names this
 * serializer's {@link TypeInfoFactory} in its {@code @TypeInfo}.
 */
public final class EventSerializer extends StatelessSerializer<Event> {
    private static final long serialVersionUID = 1L;

    /** The most values an event carries: one per field the rules read. */
    private static final int MAX_VALUES = 1 << 16;

    public static final EventSerializer INSTANCE = new EventSerializer();

    @Override
    public Event createInstance() {
        return new Event(null, null, 0, null, null);
    }

    @Override
    public Event copy(Event e) {
        return new Event(
                e.source(),
                e.key(),
                e.eventTime(),
                e.id(),
                e.payload(),
                e.numbers() == null ? null : e.numbers().clone(),
                e.texts() == null ? null : e.texts().clone());
    }

    @Override
    public void serialize(Event e, DataOutputView out) throws IOException {
        Codec.writeString(out, e.source());
        Codec.writeString(out, e.key());
        Codec.writeString(out, e.id());
        Codec.writeString(out, e.payload());
        out.writeLong(e.eventTime());
        double[] numbers = e.numbers();
        if (numbers == null) {
            out.writeByte(0);
        } else {
            Codec.writeVarLong(out, numbers.length + 1L);
            for (double d : numbers) {
                out.writeDouble(d);
            }
        }
        String[] texts = e.texts();
        if (texts == null) {
            out.writeByte(0);
        } else {
            Codec.writeVarLong(out, texts.length + 1L);
            for (String t : texts) {
                Codec.writeString(out, t);
            }
        }
    }

    @Override
    public Event deserialize(DataInputView in) throws IOException {
        String source = Codec.readString(in);
        String key = Codec.readString(in);
        String id = Codec.readString(in);
        String payload = Codec.readString(in);
        long eventTime = in.readLong();
        double[] numbers = null;
        int n = Codec.readCount(in, MAX_VALUES + 1, "event") - 1;
        if (n >= 0) {
            numbers = new double[n];
            for (int i = 0; i < n; i++) {
                numbers[i] = in.readDouble();
            }
        }
        String[] texts = null;
        int t = Codec.readCount(in, MAX_VALUES + 1, "event") - 1;
        if (t >= 0) {
            texts = new String[t];
            for (int i = 0; i < t; i++) {
                texts[i] = Codec.readString(in);
            }
        }
        return new Event(source, key, eventTime, id, payload, numbers, texts);
    }

    @Override
    public TypeSerializerSnapshot<Event> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer has no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Event> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }

    /** The type information of {@link Event}, with this serializer. */
    public static final class EventTypeInfo extends TypeInformation<Event> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean isBasicType() {
            return false;
        }

        @Override
        public boolean isTupleType() {
            return false;
        }

        @Override
        public int getArity() {
            return 1;
        }

        @Override
        public int getTotalFields() {
            return 1;
        }

        @Override
        public Class<Event> getTypeClass() {
            return Event.class;
        }

        @Override
        public boolean isKeyType() {
            return false;
        }

        @Override
        public TypeSerializer<Event> createSerializer(SerializerConfig config) {
            return INSTANCE;
        }

        @Override
        public String toString() {
            return "Event";
        }

        @Override
        public boolean equals(Object obj) {
            return obj instanceof EventTypeInfo;
        }

        @Override
        public int hashCode() {
            return EventTypeInfo.class.hashCode();
        }

        @Override
        public boolean canEqual(Object obj) {
            return obj instanceof EventTypeInfo;
        }
    }

    /** Named by {@link Event}'s {@code @TypeInfo}. */
    public static final class Factory extends TypeInfoFactory<Event> {
        @Override
        public TypeInformation<Event> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new EventTypeInfo();
        }
    }
}
