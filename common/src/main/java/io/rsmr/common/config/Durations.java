package io.rsmr.common.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations in the units an operator writes: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 1h},
 * {@code 2d}, and sums such as {@code 1h30m}. A bare number is refused: a timing bound whose
 * unit is guessed is a bound nobody agreed on.
 */
public final class Durations {
    private static final Pattern TERM = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");

    private Durations() {
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} saying what is wrong. */
    public static Duration parse(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException(s + " is negative; durations must be positive");
        }
        if (s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException(s + " has no unit; write e.g. " + s + "s (units: ms, s, m, h, d)");
        }
        if (!WHOLE.matcher(s).matches()) {
            throw new IllegalArgumentException(s + " is not a duration; write e.g. 500ms, 90s, 5m, 1h, 1h30m, 2d");
        }
        Duration total = Duration.ZERO;
        Matcher m = TERM.matcher(s);
        while (m.find()) {
            total = total.plus(term(Long.parseLong(m.group(1)), m.group(2)));
        }
        return total;
    }

    private static Duration term(long amount, String unit) {
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> throw new AssertionError("unit not in pattern: " + unit);
        };
    }

    /** The shortest exact rendering in the same units, e.g. {@code 1h30m}, {@code 2.5s} as {@code 2s500ms}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        StringBuilder b = new StringBuilder();
        long days = d.toDays();
        appendPart(b, days, "d");
        appendPart(b, d.toHoursPart(), "h");
        appendPart(b, d.toMinutesPart(), "m");
        appendPart(b, d.toSecondsPart(), "s");
        appendPart(b, d.toMillisPart(), "ms");
        return b.length() == 0 ? d.toNanos() + "ns" : b.toString();
    }

    private static void appendPart(StringBuilder b, long amount, String unit) {
        if (amount != 0) {
            b.append(amount).append(unit);
        }
    }

    /** Seconds as a decimal, for JSON output and arithmetic shown to people. */
    public static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
