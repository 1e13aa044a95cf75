package dev.tessitura.model.reproduce;

import dev.tessitura.model.Report;
import dev.tessitura.model.run.TrainingRun;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs trials: {@link LocalTrialRunner} here, one after another; a cluster runner may spread them. The trials of one
 * call do not depend on each other (a row's candidates), so they may run in any order and at once; each result goes
 * to {@code done} as soon as it is known (the reproduction records it then, so that a restart skips it). A trial must
 * give the same scores wherever and however often it runs: its training resumes exactly from its run directory, and
 * every draw is seeded.
 */
public interface TrialRunner extends AutoCloseable {
    /**
     * Runs the trials, handing each result to {@code done}; returns when all are done, or early when {@code stop}
     * asks (a trial in training then leaves a checkpoint that the next call resumes).
     */
    void run(List<Trial> trials, Report report, TrainingRun.Stop stop, Consumer<Trial.Result> done) throws IOException;

    /** Releases what the runner holds (a cluster runner its Spark context); nothing here. */
    @Override default void close() {}
}
