package io.reflex.operators.decode;

import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Event;

/**
 * The result of decoding one raw record: exactly one of {@code event} and {@code deadLetter} is
 * set. Sources emit this type so that decoding (and event-time extraction) happens per split,
 * before watermarks are generated.
 *
 * @param event the decoded event, or null
 * @param deadLetter why the record could not be decoded, or null
 * @param timestamp the event time, or {@link Long#MIN_VALUE} for a dead letter: a bad record's own
 *     timestamp can be anything, and must not move the watermark
 */
public record Decoded(Event event, DeadLetter deadLetter, long timestamp) {

    public static Decoded ok(Event event) {
        return new Decoded(event, null, event.eventTime());
    }

    public static Decoded bad(DeadLetter deadLetter) {
        return new Decoded(null, deadLetter, Long.MIN_VALUE);
    }

    public boolean isEvent() {
        return event != null;
    }
}
