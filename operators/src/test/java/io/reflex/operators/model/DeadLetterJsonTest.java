package io.reflex.operators.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tests for {@link DeadLetterJson}. */
class DeadLetterJsonTest {

    @Test
    void keepsASmallRecordWhole() throws Exception {
        byte[] raw = "{\"bad\":".getBytes(StandardCharsets.UTF_8);
        JsonNode n =
                Json.MAPPER.readTree(
                        DeadLetterJson.encode(
                                new DeadLetter("decode", "not JSON", "t", 1, 2, "k", raw, 3),
                                64 * 1024));
        assertThat(Base64.getDecoder().decode(n.get("raw_base64").asText())).isEqualTo(raw);
        assertThat(n.get("raw_bytes").asInt()).isEqualTo(raw.length);
        assertThat(n.get("raw_truncated").asBoolean()).isFalse();
        assertThat(n.get("raw_sha256").asText()).isEqualTo(DeadLetterJson.sha256(raw));
        assertThat(n.get("stage").asText()).isEqualTo("decode");
        assertThat(n.get("partition").asInt()).isEqualTo(1);
        assertThat(n.get("offset").asLong()).isEqualTo(2);
        assertThat(n.get("at").asLong()).isEqualTo(3);
    }

    /**
     * Property: whatever the sizes of the raw record (up to 10 MB) and of its text fields, the
     * encoded dead letter stays within {@link DeadLetterJson#maxEncodedBytes}, keeps exactly the
     * first {@code max} raw bytes, and hashes the whole record.
     */
    @Test
    void staysWithinItsBoundForAnyInput() throws Exception {
        Random random = new Random(20261202L);
        int[] limits = {0, 1, 1000, 64 * 1024, 256 * 1024};
        for (int i = 0; i < 60; i++) {
            int size =
                    i < 5
                            ? new int[] {0, 1, 64 * 1024, 64 * 1024 + 1, 10_000_000}[i]
                            : random.nextInt(10_000_001);
            byte[] raw = new byte[size];
            random.nextBytes(raw);
            int max = limits[random.nextInt(limits.length)];
            String reason = hostileText(random, random.nextInt(5000));
            String key = random.nextBoolean() ? null : hostileText(random, random.nextInt(200_000));
            DeadLetter dl =
                    new DeadLetter("decode", reason, hostileText(random, 3000), 0, 0, key, raw, 1);

            byte[] encoded = DeadLetterJson.encode(dl, max);

            assertThat(encoded.length)
                    .as("size %d, max %d", size, max)
                    .isLessThanOrEqualTo(DeadLetterJson.maxEncodedBytes(max));
            JsonNode n = Json.MAPPER.readTree(encoded);
            byte[] kept = Base64.getDecoder().decode(n.get("raw_base64").asText());
            assertThat(kept).isEqualTo(Arrays.copyOf(raw, Math.min(size, max)));
            assertThat(n.get("raw_bytes").asLong()).isEqualTo(size);
            assertThat(n.get("raw_truncated").asBoolean()).isEqualTo(size > max);
            assertThat(n.get("raw_sha256").asText()).isEqualTo(DeadLetterJson.sha256(raw));
        }
    }

    @Test
    void encodesLoneSurrogatesAndControlCharacters() throws Exception {
        String nasty = "a\ud800b\u0000c\u001f\"\\";
        byte[] encoded =
                DeadLetterJson.encode(
                        new DeadLetter("llm", nasty, nasty, -1, -1, nasty, new byte[0], 0), 10);
        JsonNode n = Json.MAPPER.readTree(encoded);
        assertThat(n.get("reason").asText()).isEqualTo(nasty);
        for (byte b : encoded) {
            assertThat(b).as("ASCII only").isBetween((byte) 0x20, (byte) 0x7e);
        }
    }

    /** Text with the characters that escape longest in JSON. */
    private static String hostileText(Random random, int length) {
        char[] pool = {'a', '\u0001', '"', '\\', '\u20ac', '\ud83d', '\ude00', '\ud800'};
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = pool[random.nextInt(pool.length)];
        }
        return new String(out);
    }
}
