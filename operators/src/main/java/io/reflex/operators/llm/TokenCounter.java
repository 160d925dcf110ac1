package io.reflex.operators.llm;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * Counts prompt tokens with a real BPE tokenizer ({@code o200k_base}, the encoding of the GPT-4o
 * family), for the tokens-per-minute limit and for trimming prompts to their budget. Counts for
 * other model families are close estimates. Thread-safe.
 */
public final class TokenCounter {
    private static final Encoding ENCODING =
            Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    /** Tokens a chat message costs beyond its text, as OpenAI documents for chat formats. */
    private static final int PER_MESSAGE = 4;

    private TokenCounter() {}

    /**
     * Whether {@code text} has at most {@code budget} tokens. A token covers at least one UTF-8
     * byte, so text of at most {@code budget} bytes fits without running the tokenizer.
     */
    public static boolean fits(String text, int budget) {
        return utf8Length(text) <= budget || count(text) <= budget;
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    public static int count(String text) {
        return text == null ? 0 : ENCODING.countTokens(text);
    }

    /** Tokens of a whole conversation. */
    public static int count(Iterable<ChatMessage> messages) {
        int n = 3;
        for (ChatMessage m : messages) {
            n += PER_MESSAGE + count(m.content());
            for (ToolCall c : m.toolCalls()) {
                n += count(c.name()) + count(c.arguments());
            }
        }
        return n;
    }
}
