package io.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.operators.model.Json;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Tests for {@link TailCommand}'s lines. */
class TailCommandTest {

    private static String line(String json) throws Exception {
        byte[] value = json.getBytes(StandardCharsets.UTF_8);
        return TailCommand.describe(
                new ConsumerRecord<>("t", 1, 42, null, value), Json.MAPPER.readTree(value));
    }

    @Test
    void aDeadLetterReadsAsItsStageKeyReasonAndSource() throws Exception {
        assertThat(
                        line(
                                "{\"stage\":\"decode\",\"reason\":\"not JSON\",\"source\":\"trades\","
                                        + "\"partition\":0,\"offset\":7,\"key\":null,"
                                        + "\"raw_bytes\":12}"))
                .isEqualTo(
                        "1/42  dead-letter decode -  \"not JSON\"  [source=trades raw=12 bytes]");
    }

    @Test
    void anythingElseIsItsJsonAndNonJsonSaysSo() throws Exception {
        assertThat(line("{\"x\":1}")).isEqualTo("1/42  {\"x\":1}");
        assertThat(
                        TailCommand.describe(
                                new ConsumerRecord<>("t", 0, 3, null, new byte[] {1, 2}), null))
                .isEqualTo("0/3  (not JSON, 2 bytes)");
    }
}
