package io.reflex.jobs.websocket;

import io.reflex.connectors.websocket.WebSocketDeserializer;
import io.reflex.connectors.websocket.WebSocketMessage;
import io.reflex.operators.decode.Decoded;
import io.reflex.operators.decode.EventDecoder;
import io.reflex.operators.model.DeadLetter;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.Collector;

/**
 * Decodes WebSocket messages with the same {@link EventDecoder} as Kafka records: the URL is the
 * origin and the sequence number the offset. Never throws on data: a message the source reports as
 * oversized or unreadable becomes a dead letter with the source's reason.
 */
public final class DecodingWebSocketDeserializer implements WebSocketDeserializer<Decoded> {
    private static final long serialVersionUID = 1L;

    private final String sourceName;
    private final EventDecoder decoder;

    public DecodingWebSocketDeserializer(String sourceName, EventDecoder decoder) {
        this.sourceName = sourceName;
        this.decoder = decoder;
    }

    @Override
    public void deserialize(WebSocketMessage message, Collector<Decoded> out) {
        if (message.error() != null) {
            // Oversized, or lost to a frame the client could not read: the source says why.
            out.collect(
                    Decoded.bad(
                            DeadLetter.of(
                                    DeadLetter.STAGE_DECODE,
                                    message.error(),
                                    message.url(),
                                    -1,
                                    message.seq(),
                                    null,
                                    message.payload())));
            return;
        }
        out.collect(
                decoder.decode(
                        sourceName,
                        message.url(),
                        -1,
                        message.seq(),
                        message.receivedAt(),
                        message.payload()));
    }

    @Override
    public TypeInformation<Decoded> getProducedType() {
        return TypeInformation.of(Decoded.class);
    }
}
