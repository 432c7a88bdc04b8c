package io.rsmr.common.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.Function;

/**
 * Deserializers for the config's own scalar syntaxes: durations in human units, instants, host:port.
 * A bad value goes to the context's problem handler with a message that says what to write instead.
 */
final class ScalarDeserializers {
    private static final Map<Class<?>, String> DESCRIPTIONS = Map.of(
            Duration.class, "a duration such as 90s, 5m, 1h",
            Instant.class, "an instant such as 2026-01-01T00:00:00Z",
            HostPort.class, "host:port");

    private ScalarDeserializers() {
    }

    static SimpleModule module() {
        SimpleModule m = new SimpleModule("rsmr-config-scalars");
        m.addDeserializer(Duration.class, new Scalar<>(Duration.class, Durations::parse));
        m.addDeserializer(Instant.class, new Scalar<>(Instant.class, ScalarDeserializers::parseInstant));
        m.addDeserializer(HostPort.class, new Scalar<>(HostPort.class, HostPort::parse));
        return m;
    }

    static boolean handles(Class<?> type) {
        return DESCRIPTIONS.containsKey(type);
    }

    static String describe(Class<?> type) {
        return DESCRIPTIONS.getOrDefault(type, type.getSimpleName());
    }

    private static Instant parseInstant(String text) {
        try {
            return Instant.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not an instant; write e.g. 2026-01-01T00:00:00Z");
        }
    }

    /** Reads any scalar token as text and parses it; a failure is reported, not thrown. */
    private static final class Scalar<T> extends StdScalarDeserializer<T> {
        private final transient Function<String, T> parser;
        private final Class<T> type;

        Scalar(Class<T> type, Function<String, T> parser) {
            super(type);
            this.type = type;
            this.parser = parser;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.currentToken().isScalarValue()) {
                return type.cast(ctxt.handleUnexpectedToken(type, p));
            }
            String text = p.getValueAsString();
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                return type.cast(ctxt.handleWeirdStringValue(type, text, e.getMessage()));
            }
        }
    }
}
