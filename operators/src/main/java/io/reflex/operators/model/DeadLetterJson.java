package io.reflex.operators.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The wire format of a dead letter, bounded whatever the input: at most {@code maxRawBytes} of the
 * raw record (base64), its whole size and SHA-256, and a flag when it was cut. Text fields are cut
 * to fixed lengths and written with every non-ASCII character escaped, so even a lone surrogate
 * from hostile input serializes. The encoded value is at most {@link #maxEncodedBytes(int)}.
 */
public final class DeadLetterJson {
    /** Text fields (reason, source, key) are cut to this many characters. */
    public static final int MAX_TEXT_CHARS = 1024;

    /** A JSON escape ({@code \}{@code uXXXX}) is the longest a character can get. */
    private static final int MAX_BYTES_PER_CHAR = 6;

    /** Room for the field names, numbers, hash and punctuation around the bounded values. */
    private static final int FIXED_OVERHEAD = 1024;

    private static final ObjectWriter WRITER =
            JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build().writer();

    private DeadLetterJson() {}

    /** The largest value {@link #encode} returns for {@code maxRawBytes}. */
    public static int maxEncodedBytes(int maxRawBytes) {
        int base64 = 4 * ((maxRawBytes + 2) / 3);
        return base64 + 3 * MAX_TEXT_CHARS * MAX_BYTES_PER_CHAR + FIXED_OVERHEAD;
    }

    /** The dead letter as JSON, with at most {@code maxRawBytes} of its raw record. */
    public static byte[] encode(DeadLetter d, int maxRawBytes) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("stage", cut(d.stage()));
        n.put("reason", cut(d.reason()));
        n.put("source", cut(d.source()));
        n.put("partition", d.partition());
        n.put("offset", d.offset());
        if (d.key() == null) {
            n.putNull("key");
        } else {
            n.put("key", cut(d.key()));
        }
        byte[] raw = d.raw();
        boolean truncated = raw.length > maxRawBytes;
        byte[] kept = truncated ? Arrays.copyOf(raw, Math.max(0, maxRawBytes)) : raw;
        n.put("raw_base64", Base64.getEncoder().encodeToString(kept));
        n.put("raw_bytes", raw.length);
        n.put("raw_sha256", sha256(raw));
        n.put("raw_truncated", truncated);
        n.put("at", d.at());
        try {
            return WRITER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lowercase hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** {@code s} cut to {@link #MAX_TEXT_CHARS}, never between the halves of a surrogate pair. */
    static String cut(String s) {
        if (s == null || s.length() <= MAX_TEXT_CHARS) {
            return s;
        }
        int end = MAX_TEXT_CHARS;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "…";
    }
}
