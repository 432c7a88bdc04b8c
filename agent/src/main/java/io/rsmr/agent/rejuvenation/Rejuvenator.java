package io.rsmr.agent.rejuvenation;

import io.rsmr.agent.Events;
import io.rsmr.agent.failsafe.FailSafe;
import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.metrics.Metrics;
import io.rsmr.agent.rejuvenation.RejuvenationAction.CancelStep;
import io.rsmr.agent.rejuvenation.RejuvenationAction.FireFailSafe;
import io.rsmr.agent.rejuvenation.RejuvenationAction.Finish;
import io.rsmr.agent.rejuvenation.RejuvenationAction.RunStep;
import io.rsmr.agent.rejuvenation.RejuvenationReport.StepTiming;
import io.rsmr.common.config.Timing;
import java.time.Clock;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The thin shell around {@link RejuvenationCore}: runs each step on a worker thread, wakes at the
 * core's next deadline at the latest, journals every step, fires the fail-safe the core asks for,
 * and returns the core's report. The journal gets "rejuvenation-started" before anything is
 * touched and "rejuvenation-finished" after the last step, so a restart finds an interrupted run.
 */
public final class Rejuvenator {
    private final Map<Step, Long> boundNanos = new EnumMap<>(Step.class);
    private final long localExecNanos;
    private final LongSupplier nanoClock;
    private final Clock wallClock;
    private final FailSafe failSafe;
    private final Events events;
    private final Metrics metrics;

    public Rejuvenator(Timing timing, LongSupplier nanoClock, Clock wallClock, FailSafe failSafe, Events events,
                       Metrics metrics) {
        for (Step s : Step.values()) {
            boundNanos.put(s, s.bound(timing).toNanos());
        }
        this.localExecNanos = timing.localExec().toNanos();
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.failSafe = failSafe;
        this.events = events;
        this.metrics = metrics;
    }

    /** Runs Algorithm 1 for {@code replica} in {@code epoch} with the given step I/O. */
    public RejuvenationReport run(int replica, long epoch, StepRunner runner) throws InterruptedException {
        events.record("rejuvenation-started", Map.of("replica", replica, "epoch", epoch,
                "localExecMs", localExecNanos / 1_000_000));
        Run run = new Run(replica, epoch, runner);
        try {
            return run.drive();
        } finally {
            run.worker.shutdownNow();
            runner.close();
        }
    }

    /** One run: the core, the worker thread and the inbox of step results. */
    private final class Run {
        final int replica;
        final long epoch;
        final StepRunner runner;
        final RejuvenationCore core = new RejuvenationCore(boundNanos, localExecNanos);
        final BlockingQueue<RejuvenationEvent> inbox = new LinkedBlockingQueue<>();
        final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rejuvenation-step");
            t.setDaemon(true);
            return t;
        });
        Future<?> running;
        int timingsJournaled;

        Run(int replica, long epoch, StepRunner runner) {
            this.replica = replica;
            this.epoch = epoch;
            this.runner = runner;
        }

        RejuvenationReport drive() throws InterruptedException {
            List<RejuvenationAction> actions = core.step(new RejuvenationEvent.Start(nanoClock.getAsLong()));
            while (true) {
                RejuvenationReport report = perform(actions);
                if (report != null) {
                    return report;
                }
                long wait = core.nextDeadlineNanos().getAsLong() - nanoClock.getAsLong();
                RejuvenationEvent e = inbox.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
                actions = core.step(e != null ? e : new RejuvenationEvent.Tick(nanoClock.getAsLong()));
            }
        }

        /** Carries out the core's actions; returns the report when the run is over. */
        private RejuvenationReport perform(List<RejuvenationAction> actions) {
            RejuvenationReport report = null;
            for (RejuvenationAction a : actions) {
                if (a instanceof RunStep r) {
                    journalNewTimings();
                    events.record("step-started", Map.of("replica", replica, "epoch", epoch, "step", r.step().label()));
                    running = worker.submit(() -> runStep(r.step()));
                } else if (a instanceof CancelStep) {
                    running.cancel(true);
                } else if (a instanceof FireFailSafe f) {
                    journalNewTimings();
                    failSafe.fire(f.cause(), failSafeDetails(f));
                } else if (a instanceof Finish fin) {
                    report = finish(fin.report());
                }
            }
            return report;
        }

        private void runStep(Step step) {
            try {
                runner.run(step);
                inbox.add(new RejuvenationEvent.StepDone(step, nanoClock.getAsLong()));
            } catch (StepFailure f) {
                inbox.add(new RejuvenationEvent.StepFailed(step, nanoClock.getAsLong(), f.failSafeCause(), f.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // cancelled: the core has moved on
            } catch (RuntimeException | Error e) {
                // Reported, not lost with the worker thread: otherwise the core would only see the deadline.
                inbox.add(new RejuvenationEvent.StepFailed(step, nanoClock.getAsLong(), FailSafeCause.STEP_FAILED,
                        step.label() + " failed unexpectedly: " + e));
            }
        }

        private Map<String, Object> failSafeDetails(FireFailSafe f) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("replica", replica);
            d.put("epoch", epoch);
            d.put("step", f.step().label());
            d.put("detail", f.detail());
            return d;
        }

        private RejuvenationReport finish(RejuvenationReport report) {
            journalNewTimings();
            events.record("rejuvenation-finished", reportFields(replica, epoch, report));
            metrics.rejuvenation(replica, wallClock.instant(), report);
            return report;
        }

        /** Journals the timings the core added since the last call (one per ended step). */
        private void journalNewTimings() {
            List<StepTiming> all = core.timings();
            for (; timingsJournaled < all.size(); timingsJournaled++) {
                StepTiming t = all.get(timingsJournaled);
                events.record("step-ended", Map.of("replica", replica, "epoch", epoch, "step", t.step().label(),
                        "outcome", t.outcome().name().toLowerCase(java.util.Locale.ROOT),
                        "durationMs", millis(t.durationNanos()), "boundMs", millis(t.boundNanos()),
                        "marginMs", millis(t.marginNanos())));
            }
        }
    }

    /** The report as journal fields: the one event with every step's duration and margin. */
    public static Map<String, Object> reportFields(int replica, long epoch, RejuvenationReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("replica", replica);
        m.put("epoch", epoch);
        m.put("succeeded", r.succeeded());
        if (!r.succeeded()) {
            m.put("cause", r.cause().label());
            m.put("failedStep", r.failed().label());
            m.put("detail", r.detail());
        }
        m.put("totalMs", millis(r.totalNanos()));
        m.put("localExecMs", millis(r.localExecNanos()));
        m.put("marginMs", millis(r.marginNanos()));
        m.put("steps", r.steps().stream().map(t -> Map.of("step", t.step().label(),
                "outcome", t.outcome().name().toLowerCase(java.util.Locale.ROOT),
                "durationMs", millis(t.durationNanos()), "boundMs", millis(t.boundNanos()),
                "marginMs", millis(t.marginNanos()))).toList());
        return m;
    }

    static double millis(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
