package io.reflex.jobs.config;

import io.reflex.connectors.websocket.WebSocketSourceOptions;
import io.reflex.operators.decode.DecoderOptions;
import java.time.Duration;
import java.util.List;

/** Reads the {@code sources[]} of a job file: Kafka sources and WebSocket sources. */
final class SourceSections {
    private SourceSections() {}

    static JobFile.KafkaSourceSpec kafka(Section s, String jobName) {
        s.onlyKeys(JobFileSections.KAFKA_SOURCE);
        List<String> topics = s.get(JobFileOptions.TOPICS);
        if (topics.isEmpty()) {
            s.problem("topics", "at least one topic is required");
        }
        String group = s.get(JobFileOptions.GROUP_ID);
        return new JobFile.KafkaSourceSpec(
                s.get(JobFileOptions.SOURCE_NAME),
                s.get(JobFileOptions.BOOTSTRAP_SERVERS),
                topics,
                group == null ? "reflex-" + jobName : group,
                s.get(JobFileOptions.STARTING_OFFSETS),
                s.get(JobFileOptions.BOUNDED),
                s.get(JobFileOptions.SOURCE_PROPERTIES),
                decoding(s),
                s.get(JobFileOptions.MAX_OUT_OF_ORDERNESS),
                s.get(JobFileOptions.KAFKA_WATERMARK_IDLE_TIMEOUT));
    }

    static JobFile.WebSocketSourceSpec webSocket(Section s) {
        s.onlyKeys(JobFileSections.WEBSOCKET_SOURCE);
        List<String> urls = s.get(WebSocketSourceOptions.URLS);
        if (urls.isEmpty()) {
            s.problem("urls", "at least one ws:// or wss:// URL is required");
        }
        for (String u : urls) {
            if (!u.startsWith("ws://") && !u.startsWith("wss://")) {
                s.problem("urls", "expected a ws:// or wss:// URL, was '" + u + "'");
            }
        }
        String sequence = s.get(WebSocketSourceOptions.SEQUENCE);
        String resume = s.get(WebSocketSourceOptions.RESUME_URL);
        if (resume != null && sequence == null) {
            s.problem("resume-url", "needs sequence, the JSON pointer to each message's number");
        }
        Section reconnect = s.section("reconnect", false);
        reconnect.onlyKeys(JobFileSections.RECONNECT);
        Duration initial = reconnect.get(WebSocketSourceOptions.INITIAL_BACKOFF);
        Duration max = reconnect.get(WebSocketSourceOptions.MAX_BACKOFF);
        if (max.compareTo(initial) < 0) {
            reconnect.problem("max-backoff", "must not be below initial-backoff");
        }
        return new JobFile.WebSocketSourceSpec(
                s.get(JobFileOptions.SOURCE_NAME),
                urls,
                s.get(WebSocketSourceOptions.HEADERS),
                s.get(WebSocketSourceOptions.SUBPROTOCOLS),
                s.get(WebSocketSourceOptions.SUBSCRIBE_MESSAGE),
                resume,
                sequence,
                s.get(WebSocketSourceOptions.TRUSTSTORE),
                s.get(WebSocketSourceOptions.TRUSTSTORE_PASSWORD),
                s.get(WebSocketSourceOptions.PING_INTERVAL),
                s.get(WebSocketSourceOptions.IDLE_TIMEOUT),
                initial,
                max,
                reconnect.get(WebSocketSourceOptions.STABLE_AFTER),
                reconnect.get(WebSocketSourceOptions.MAX_ATTEMPTS),
                "fail".equals(reconnect.get(WebSocketSourceOptions.GIVE_UP)),
                s.get(WebSocketSourceOptions.MAX_MESSAGE_BYTES),
                decoding(s),
                s.get(JobFileOptions.MAX_OUT_OF_ORDERNESS),
                s.get(JobFileOptions.WATERMARK_IDLE_TIMEOUT));
    }

    /** The keys that every source shares: how its records become events, and their limits. */
    private static DecoderOptions decoding(Section s) {
        return new DecoderOptions(
                s.get(DecoderOptions.KEY),
                s.get(DecoderOptions.EVENT_TIME),
                s.get(DecoderOptions.EVENT_ID),
                s.get(DecoderOptions.MAX_RECORD_BYTES),
                s.get(DecoderOptions.MAX_KEY_BYTES),
                s.get(DecoderOptions.MAX_TIME_AHEAD).toMillis());
    }
}
