package io.rsmr.agent.metrics;

import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.rejuvenation.RejuvenationReport;
import io.rsmr.agent.rejuvenation.Step;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The agent's metrics in the Prometheus text format: per replica the time, result, duration and
 * T_localexec margin of its last rejuvenation and each step's last margin; per step a histogram
 * of durations; the fail-safe firings by cause. Thread-safe; rendered on demand.
 */
public final class Metrics {
    /** Bucket bounds in seconds: from an overlay reset (ms) to a slow state transfer (minutes). */
    static final double[] BUCKETS_SECONDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

    private final Map<Integer, Last> last = new TreeMap<>();
    private final Map<Step, Histogram> durations = new EnumMap<>(Step.class);
    private final Map<FailSafeCause, Long> failSafes = new EnumMap<>(FailSafeCause.class);

    private record Last(Instant end, RejuvenationReport report) {
    }

    private static final class Histogram {
        final long[] counts = new long[BUCKETS_SECONDS.length];
        long count;
        double sum;

        void observe(double seconds) {
            for (int i = 0; i < BUCKETS_SECONDS.length; i++) {
                if (seconds <= BUCKETS_SECONDS[i]) {
                    counts[i]++;
                }
            }
            count++;
            sum += seconds;
        }
    }

    public synchronized void rejuvenation(int replica, Instant end, RejuvenationReport report) {
        last.put(replica, new Last(end, report));
        for (RejuvenationReport.StepTiming t : report.steps()) {
            durations.computeIfAbsent(t.step(), s -> new Histogram()).observe(seconds(t.durationNanos()));
        }
    }

    public synchronized void failSafe(FailSafeCause cause) {
        failSafes.merge(cause, 1L, Long::sum);
    }

    public synchronized String render() {
        StringBuilder b = new StringBuilder();
        header(b, "rsmr_agent_last_rejuvenation_timestamp_seconds", "gauge", "End of the replica's last rejuvenation (Unix time).");
        last.forEach((r, l) -> sample(b, "rsmr_agent_last_rejuvenation_timestamp_seconds", "replica=\"" + r + "\"",
                l.end().toEpochMilli() / 1000.0));
        header(b, "rsmr_agent_last_rejuvenation_success", "gauge", "1 when the replica's last rejuvenation succeeded in time, else 0.");
        last.forEach((r, l) -> sample(b, "rsmr_agent_last_rejuvenation_success", "replica=\"" + r + "\"",
                l.report().succeeded() ? 1 : 0));
        header(b, "rsmr_agent_last_rejuvenation_duration_seconds", "gauge", "Duration of the replica's last rejuvenation.");
        last.forEach((r, l) -> sample(b, "rsmr_agent_last_rejuvenation_duration_seconds", "replica=\"" + r + "\"",
                seconds(l.report().totalNanos())));
        header(b, "rsmr_agent_localexec_margin_seconds", "gauge", "T_localexec minus the last rejuvenation's duration (negative: overrun).");
        last.forEach((r, l) -> sample(b, "rsmr_agent_localexec_margin_seconds", "replica=\"" + r + "\"",
                seconds(l.report().marginNanos())));
        header(b, "rsmr_agent_step_margin_seconds", "gauge", "Bound minus duration of each step of the last rejuvenation.");
        last.forEach((r, l) -> l.report().steps().forEach(t -> sample(b, "rsmr_agent_step_margin_seconds",
                "replica=\"" + r + "\",step=\"" + t.step().label() + "\"", seconds(t.marginNanos()))));
        renderHistograms(b);
        header(b, "rsmr_agent_failsafe_total", "counter", "Fail-safe firings by cause.");
        for (FailSafeCause c : FailSafeCause.values()) {
            sample(b, "rsmr_agent_failsafe_total", "cause=\"" + c.label() + "\"", failSafes.getOrDefault(c, 0L));
        }
        return b.toString();
    }

    private void renderHistograms(StringBuilder b) {
        String name = "rsmr_agent_step_duration_seconds";
        header(b, name, "histogram", "Duration of each step of Algorithm 1.");
        durations.forEach((step, h) -> {
            String s = "step=\"" + step.label() + "\"";
            for (int i = 0; i < BUCKETS_SECONDS.length; i++) {
                sample(b, name + "_bucket", s + ",le=\"" + BUCKETS_SECONDS[i] + "\"", h.counts[i]);
            }
            sample(b, name + "_bucket", s + ",le=\"+Inf\"", h.count);
            sample(b, name + "_sum", s, h.sum);
            sample(b, name + "_count", s, h.count);
        });
    }

    private static void header(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, String labels, double value) {
        b.append(name).append('{').append(labels).append("} ");
        b.append(value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.6f", value)).append('\n');
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
