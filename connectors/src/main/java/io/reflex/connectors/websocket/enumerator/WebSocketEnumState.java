package io.reflex.connectors.websocket.enumerator;

import io.reflex.connectors.websocket.split.WebSocketSplit;
import java.util.List;

/**
 * The enumerator's checkpoint: the splits not yet assigned to a reader (assigned ones are in the
 * readers' state).
 */
public record WebSocketEnumState(List<WebSocketSplit> unassigned) {}
