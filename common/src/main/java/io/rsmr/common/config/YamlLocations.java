package io.rsmr.common.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where each field of a YAML document stands: JSON pointer ({@code /replicas/0/id}) to its 1-based
 * line. Jackson's tree and records forget locations, so one streaming pass records them for messages.
 */
final class YamlLocations {
    private final Map<String, Integer> lines = new HashMap<>();
    private final Set<String> arrays = new HashSet<>();

    private YamlLocations() {
    }

    /** Indexes {@code yaml}; a syntax error surfaces as Jackson's exception, with its location. */
    static YamlLocations index(YAMLFactory factory, String yaml) throws IOException {
        YamlLocations locations = new YamlLocations();
        try (JsonParser p = factory.createParser(yaml)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    continue;
                }
                String pointer = t.isStructStart()
                        ? p.getParsingContext().getParent().pathAsPointer().toString()
                        : p.getParsingContext().pathAsPointer().toString();
                locations.lines.putIfAbsent(pointer, p.currentTokenLocation().getLineNr());
                if (t == JsonToken.START_ARRAY) {
                    locations.arrays.add(pointer);
                }
            }
        }
        return locations;
    }

    boolean isEmpty() {
        return lines.isEmpty();
    }

    boolean has(String pointer) {
        return lines.containsKey(pointer);
    }

    /** The line of {@code pointer}, else of its nearest ancestor that is in the file, else 0. */
    int line(String pointer) {
        for (JsonPointer p = JsonPointer.compile(pointer); p != null; p = p.head()) {
            Integer line = lines.get(p.toString());
            if (line != null && !p.toString().isEmpty()) {
                return line;
            }
        }
        return 0;
    }

    /** {@code /replicas/0/payloadAddress} as {@code replicas[0].payloadAddress}. */
    String display(String pointer) {
        StringBuilder b = new StringBuilder();
        StringBuilder prefix = new StringBuilder();
        for (JsonPointer p = JsonPointer.compile(pointer); !p.matches(); p = p.tail()) {
            String segment = p.getMatchingProperty();
            if (arrays.contains(prefix.toString())) {
                b.append('[').append(segment).append(']');
            } else {
                b.append(b.length() == 0 ? "" : ".").append(segment);
            }
            prefix.append('/').append(segment.replace("~", "~0").replace("/", "~1"));
        }
        return b.toString();
    }
}
