package io.reflex.operators.testing;

import io.reflex.operators.action.ActionCatalogue;
import java.util.LinkedHashMap;
import java.util.Map;

/** The action catalogue the operator tests share: {@code alert(severity)} and {@code watch}. */
public final class TestCatalogue {
    private TestCatalogue() {}

    public static ActionCatalogue create() {
        Map<String, ActionCatalogue.ActionType> types = new LinkedHashMap<>();
        types.put(
                "alert",
                new ActionCatalogue.ActionType(
                        "alert",
                        "Page someone.",
                        "{\"type\":\"object\",\"properties\":{\"severity\":{\"type\":\"string\","
                                + "\"enum\":[\"low\",\"high\"]}},\"required\":[\"severity\"],"
                                + "\"additionalProperties\":false}"));
        types.put(
                "watch",
                new ActionCatalogue.ActionType(
                        "watch",
                        null,
                        "{\"type\":\"object\",\"properties\":{\"minutes\":{\"type\":\"integer\"}},"
                                + "\"required\":[\"minutes\"],\"additionalProperties\":false}"));
        return new ActionCatalogue(types);
    }
}
