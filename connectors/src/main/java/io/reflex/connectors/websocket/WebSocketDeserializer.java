package io.reflex.connectors.websocket;

import java.io.Serializable;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.Collector;

/**
 * Turns one WebSocket message into zero or more records. It runs on the task thread and should not
 * throw on bad data: emit a record that says what was wrong instead.
 */
public interface WebSocketDeserializer<T> extends Serializable {

    void deserialize(WebSocketMessage message, Collector<T> out) throws Exception;

    TypeInformation<T> getProducedType();
}
