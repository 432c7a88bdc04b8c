package io.rsmr.common.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Lets Jackson go on binding after a bad field, so that one run reports every error in the file.
 * Each problem becomes a (pointer, message); the value bound in its place is a placeholder that
 * never escapes, because the loader refuses a file with any error.
 */
final class CollectingProblemHandler extends DeserializationProblemHandler {
    /**
     * One problem: the field it concerns (JSON pointer), what is wrong, and the field whose line
     * shows it (usually the same; for a bad map key, the key's own line).
     */
    record Problem(String pointer, String message, String linePointer) {
        Problem(String pointer, String message) {
            this(pointer, message, pointer);
        }
    }

    private final List<Problem> problems = new ArrayList<>();

    List<Problem> problems() {
        return problems;
    }

    @Override
    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
                                         Object beanOrClass, String propertyName) throws IOException {
        Collection<Object> known = deserializer.getKnownPropertyNames();
        problems.add(new Problem(pointer(p), "unknown field '" + propertyName + "'" + suggestion(propertyName, known)));
        p.skipChildren();
        return true;
    }

    @Override
    public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String value,
                                         String failureMsg) {
        problems.add(new Problem(pointer(ctxt.getParser()), weirdValueMessage(targetType, value, failureMsg)));
        return placeholder(targetType);
    }

    @Override
    public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number value,
                                         String failureMsg) {
        problems.add(new Problem(pointer(ctxt.getParser()), weirdValueMessage(targetType, String.valueOf(value), failureMsg)));
        return placeholder(targetType);
    }

    @Override
    public Object handleWeirdKey(DeserializationContext ctxt, Class<?> rawKeyType, String keyValue, String failureMsg) {
        // Reported on the map itself: its other entries are judged against a table that is already wrong.
        String key = pointer(ctxt.getParser());
        String map = ctxt.getParser().getParsingContext().pathAsPointer().head().toString();
        problems.add(new Problem(map, "key '" + keyValue + "' must be " + describe(rawKeyType), key));
        return rawKeyType == Integer.class ? Integer.MIN_VALUE : placeholder(rawKeyType);
    }

    @Override
    public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken t, JsonParser p,
                                        String failureMsg) throws IOException {
        problems.add(new Problem(pointer(p), "expected " + describe(targetType.getRawClass()) + ", found " + describe(t)));
        p.skipChildren();
        return placeholder(targetType.getRawClass());
    }

    private static String pointer(JsonParser p) {
        return p.getParsingContext().pathAsPointer().toString();
    }

    private static String weirdValueMessage(Class<?> targetType, String value, String failureMsg) {
        if (targetType.isEnum()) {
            return "'" + value + "' is not one of " + enumNames(targetType);
        }
        if (ScalarDeserializers.handles(targetType)) {
            return failureMsg;
        }
        return "'" + value + "' is not " + describe(targetType);
    }

    private static String enumNames(Class<?> enumType) {
        List<String> names = new ArrayList<>();
        for (Object constant : enumType.getEnumConstants()) {
            names.add(((Enum<?>) constant).name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return String.join(", ", names);
    }

    private static String describe(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping of fields";
        }
        if (type.isEnum()) {
            return "one of " + enumNames(type);
        }
        return ScalarDeserializers.describe(type);
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "a mapping";
            case START_ARRAY -> "a list";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "nothing";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    private static Object placeholder(Class<?> type) {
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == boolean.class) {
            return false;
        }
        if (type == double.class) {
            return 0.0;
        }
        return null;
    }

    /** "; did you mean 'kPrime'?" for a near miss, else the fields that are allowed there. */
    static String suggestion(String name, Collection<Object> known) {
        if (known == null || known.isEmpty()) {
            return "";
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Object candidate : known) {
            int d = editDistance(name.toLowerCase(Locale.ROOT), candidate.toString().toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate.toString();
            }
        }
        if (best != null && bestDistance <= Math.max(2, name.length() / 3)) {
            return "; did you mean '" + best + "'?";
        }
        return "; allowed here: " + known.stream().map(Object::toString).sorted().toList();
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitution, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
