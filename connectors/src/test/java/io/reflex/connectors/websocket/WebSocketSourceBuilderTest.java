package io.reflex.connectors.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/** The builder refuses a source that could not work, naming what to change. */
class WebSocketSourceBuilderTest {
    private static final WebSocketDeserializer<String> TEXT =
            new WebSocketDeserializer<>() {
                @Override
                public void deserialize(WebSocketMessage message, Collector<String> out) {
                    out.collect(message.text());
                }

                @Override
                public TypeInformation<String> getProducedType() {
                    return Types.STRING;
                }
            };

    private static WebSocketSourceBuilder<String> valid() {
        return WebSocketSource.<String>builder().url("ws://127.0.0.1:1/feed").deserializer(TEXT);
    }

    private static void refused(UnaryOperator<WebSocketSourceBuilder<String>> change, String why) {
        assertThatThrownBy(() -> change.apply(valid()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why);
    }

    @Test
    void aCompleteSourceBuilds() {
        assertThatCode(() -> valid().build()).doesNotThrowAnyException();
        assertThat(valid().url("wss://127.0.0.1:2/feed").build()).isNotNull();
    }

    @Test
    void refusesWhatCannotWork() {
        assertThatThrownBy(() -> WebSocketSource.<String>builder().deserializer(TEXT).build())
                .hasMessageContaining("Set at least one endpoint");
        refused(b -> b.urls(List.of("http://127.0.0.1/feed")), "must start with ws:// or wss://");
        refused(b -> b.url("ws://127.0.0.1:1/feed"), "Endpoints must be distinct");
        refused(b -> b.queueCapacity(0), "queueCapacity must be positive");
        refused(b -> b.maxMessageBytes(0), "maxMessageBytes must be positive");
        refused(
                b -> b.resumeUrl("ws://127.0.0.1:1/feed?from={lastSeq}"),
                "needs a sequencePointer");
        refused(
                b -> b.backoff(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(1)),
                "maximum backoff must not be below the initial one");
        assertThatThrownBy(() -> WebSocketSource.<String>builder().url("ws://h/f").build())
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("Set a deserializer");
    }
}
