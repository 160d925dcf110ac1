package io.reflex.connectors.websocket.enumerator;

import io.reflex.connectors.websocket.split.WebSocketSplit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

/**
 * Spreads the endpoints over the readers: split {@code i} goes to reader {@code i % parallelism},
 * as soon as that reader registers. Splits handed back after a failure go to the same reader again.
 * In bounded mode each reader is told when it will get no more splits.
 */
public final class WebSocketSplitEnumerator
        implements SplitEnumerator<WebSocketSplit, WebSocketEnumState> {
    private final SplitEnumeratorContext<WebSocketSplit> context;
    private final boolean bounded;
    private final List<WebSocketSplit> unassigned;

    public WebSocketSplitEnumerator(
            SplitEnumeratorContext<WebSocketSplit> context,
            List<WebSocketSplit> unassigned,
            boolean bounded) {
        this.context = context;
        this.unassigned = new ArrayList<>(unassigned);
        this.bounded = bounded;
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {}

    @Override
    public void addSplitsBack(List<WebSocketSplit> splits, int subtaskId) {
        unassigned.addAll(splits);
        if (context.registeredReaders().containsKey(subtaskId)) {
            assign();
        }
    }

    @Override
    public void addReader(int subtaskId) {
        assign();
    }

    private void assign() {
        int parallelism = context.currentParallelism();
        Map<Integer, List<WebSocketSplit>> batch = new HashMap<>();
        List<WebSocketSplit> left = new ArrayList<>();
        for (WebSocketSplit split : unassigned) {
            int owner = Math.floorMod(split.url().hashCode(), parallelism);
            if (context.registeredReaders().containsKey(owner)) {
                batch.computeIfAbsent(owner, k -> new ArrayList<>()).add(split);
            } else {
                left.add(split);
            }
        }
        unassigned.clear();
        unassigned.addAll(left);
        batch.forEach((reader, splits) -> splits.forEach(s -> context.assignSplit(s, reader)));
        if (bounded) {
            for (int reader : context.registeredReaders().keySet()) {
                boolean pending =
                        left.stream()
                                .anyMatch(
                                        s ->
                                                Math.floorMod(s.url().hashCode(), parallelism)
                                                        == reader);
                if (!pending) {
                    context.signalNoMoreSplits(reader);
                }
            }
        }
    }

    @Override
    public WebSocketEnumState snapshotState(long checkpointId) {
        return new WebSocketEnumState(new ArrayList<>(unassigned));
    }

    @Override
    public void close() {}
}
