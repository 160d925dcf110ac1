package io.reflex.connectors.websocket.reader;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Tests for {@link MessageAssembler}. */
class MessageAssemblerTest {

    @Test
    void keepsAWholeMessageWithinTheLimit() {
        MessageAssembler a = new MessageAssembler(10);
        a.text("{\"a\":");
        a.text("1}");
        assertThat(a.oversized()).isFalse();
        assertThat(a.size()).isEqualTo(7);
        assertThat(a.takeText()).isEqualTo("{\"a\":1}");
        assertThat(a.size()).as("the next message starts empty").isZero();
    }

    @Test
    void cutsTextAtTheLimitInUtf8BytesAndCountsTheRest() {
        MessageAssembler a = new MessageAssembler(5);
        a.text("ab\u00e9"); // 4 bytes
        a.text("\u00e9cd"); // the é would make 6: nothing from here on is kept
        a.text("e");
        assertThat(a.oversized()).isTrue();
        assertThat(a.size()).isEqualTo(9);
        assertThat(a.takeText()).isEqualTo("ab\u00e9");
    }

    @Test
    void countsASurrogatePairSplitAcrossPartsAsFourBytes() {
        String emoji = "\uD83D\uDE00"; // U+1F600, 4 bytes in UTF-8
        MessageAssembler a = new MessageAssembler(5);
        a.text("a" + emoji.charAt(0));
        a.text(emoji.charAt(1) + "b");
        assertThat(a.size()).isEqualTo(("a" + emoji + "b").getBytes(StandardCharsets.UTF_8).length);
        assertThat(a.oversized()).isTrue();
        assertThat(a.takeText()).isEqualTo("a" + emoji);

        MessageAssembler b = new MessageAssembler(4);
        b.text("a" + emoji.charAt(0)); // the pair does not fit: neither half is kept
        b.text(emoji.charAt(1) + "b");
        assertThat(b.takeText()).isEqualTo("a");
    }

    @Test
    void keepsAtMostTheLimitOfAHugeMessage() {
        MessageAssembler a = new MessageAssembler(1024);
        String part = "x".repeat(16 * 1024);
        for (int i = 0; i < 320; i++) { // 5 MiB in the parts the JDK client delivers
            a.text(part);
        }
        assertThat(a.size()).isEqualTo(320L * part.length());
        assertThat(a.takeText()).hasSize(1024);
    }

    @Test
    void cutsBinaryAtTheLimit() {
        MessageAssembler a = new MessageAssembler(3);
        a.binary(ByteBuffer.wrap(new byte[] {1, 2}));
        a.binary(ByteBuffer.wrap(new byte[] {3, 4, 5}));
        assertThat(a.oversized()).isTrue();
        assertThat(a.size()).isEqualTo(5);
        assertThat(a.takeBinary()).containsExactly(1, 2, 3);
    }
}
