package io.rsmr.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
    @ParameterizedTest
    @CsvSource({"500ms,PT0.5S", "90s,PT1M30S", "5m,PT5M", "1h,PT1H", "2d,PT48H", "1h30m,PT1H30M", " 1m1s ,PT1M1S"})
    void parsesHumanUnits(String text, String iso) {
        assertEquals(Duration.parse(iso), Durations.parse(text));
    }

    @Test
    void negativeIsRefusedWithItsValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("-5s"));
        assertTrue(e.getMessage().contains("-5s is negative"), e.getMessage());
    }

    @Test
    void bareNumberAsksForAUnit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("90"));
        assertTrue(e.getMessage().contains("no unit; write e.g. 90s"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "1.5s", "5 min", "1y", "PT5M", "5s3"})
    void garbageIsRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"500ms", "90s", "1m30s", "1h", "2d", "1d2h3m4s5ms"})
    void formatIsTheInverseOfParse(String text) {
        Duration d = Durations.parse(text);
        assertEquals(d, Durations.parse(Durations.format(d)));
    }

    @Test
    void formatUsesTheLargestUnits() {
        assertEquals("1m17s", Durations.format(Duration.ofSeconds(77)));
        assertEquals("7m42s", Durations.format(Duration.ofSeconds(462)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }
}
