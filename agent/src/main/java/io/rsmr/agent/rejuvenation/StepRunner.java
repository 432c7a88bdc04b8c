package io.rsmr.agent.rejuvenation;

/**
 * Does the I/O of the steps of one rejuvenation of one replica (one instance per run: it carries
 * what a step finds to the next, such as which golden files are corrupt). Production:
 * {@link HostSteps}; tests also use a scripted one. A step that is cancelled is interrupted.
 */
public interface StepRunner extends AutoCloseable {
    void run(Step step) throws StepFailure, InterruptedException;

    /** Releases what the run holds (the virtio-serial connection); called once at the end. */
    @Override
    void close();
}
