package io.reflex.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Hand-picked market events as JSON, in the shape of {@link FeedGenerator}'s ({@code id}, {@code
 * symbol}, {@code ts} and a {@code price} or a {@code headline}), for tests that need exact input.
 */
public final class MarketEvents {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private MarketEvents() {}

    public static String trade(String id, String symbol, long ts, double price) {
        ObjectNode n = base(id, symbol, ts);
        n.put("price", price);
        return n.toString();
    }

    public static String news(String id, String symbol, long ts, String headline) {
        ObjectNode n = base(id, symbol, ts);
        n.put("headline", headline);
        return n.toString();
    }

    /** Sends {@code values} to {@code topic}, in order, and waits until Kafka has them all. */
    public static void produce(String bootstrapServers, String topic, List<String> values) {
        try (Producer<byte[], byte[]> p =
                new KafkaProducer<>(FeedGenerator.producerProperties(bootstrapServers))) {
            for (String v : values) {
                p.send(new ProducerRecord<>(topic, v.getBytes(StandardCharsets.UTF_8)));
            }
            p.flush();
        }
    }

    private static ObjectNode base(String id, String symbol, long ts) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("id", id);
        n.put("symbol", symbol);
        n.put("ts", ts);
        return n;
    }
}
