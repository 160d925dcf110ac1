package io.reflex.jobs.kafka;

import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.EventDecoder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes Kafka records inside the source, so that event time is known per partition when
 * watermarks are generated. Never throws on data: a bad record becomes a dead letter.
 */
public final class DecodingDeserializer implements KafkaRecordDeserializationSchema<Decoded> {
    private static final long serialVersionUID = 1L;

    private final String sourceName;
    private final EventDecoder decoder;

    public DecodingDeserializer(String sourceName, EventDecoder decoder) {
        this.sourceName = sourceName;
        this.decoder = decoder;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded> out) {
        out.collect(
                decoder.decode(
                        sourceName,
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        record.timestamp(),
                        record.value()));
    }

    @Override
    public TypeInformation<Decoded> getProducedType() {
        return TypeInformation.of(Decoded.class);
    }
}
