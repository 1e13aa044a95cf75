package dev.tessitura.model;

/**
 * Where long work tells how it goes: result lines (the CLI's standard output) and phases with a progress count (its
 * progress bars). {@link #QUIET} says nothing, for tests and programs that only want the results.
 */
public interface Report {
    /** One line of results: "RBM pretraining: 10 epochs, reconstruction cost 4.12". */
    void line(String text);

    /** A warning about the work, not part of its results ("skipped x.mid: ..."): the CLI's standard error. */
    void warning(String text);

    /** A phase of {@code total} frames (or other units) starts; its progress goes to the returned phase. */
    Phase phase(String label, long total);

    /** The progress of one phase. */
    interface Phase {
        void advance(long done);

        /** Ends the phase; returns its rate in units per second. */
        double finish();
    }

    Report QUIET = new Report() {
        @Override public void line(String text) {}

        @Override public void warning(String text) {}

        @Override public Phase phase(String label, long total) {
            long start = System.nanoTime();
            long[] done = {0};
            return new Phase() {
                @Override public void advance(long n) { done[0] += n; }

                @Override public double finish() {
                    double s = (System.nanoTime() - start) / 1e9;
                    return s > 0 ? done[0] / s : 0;
                }
            };
        }
    };
}
