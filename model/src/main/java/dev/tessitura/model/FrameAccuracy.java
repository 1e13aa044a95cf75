package dev.tessitura.model;

/**
 * Pooled frame-level accuracy (Bay et al. 2009): ACC = sum TP / sum (TP + FP + FN) over every note of every
 * predicted frame (true negatives do not count). Counts either a decided prediction (a note on or off) or, for a
 * note predicted on with probability p, its expected counts p y, p (1 - y) and (1 - p) y: the expected accuracy.
 */
public final class FrameAccuracy implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private double tp, fp, fn;

    /** One note predicted {@code on} (or off) against the truth y (0 or 1). */
    public void add(boolean on, double y) {
        if (on && y == 1) tp++;
        else if (on) fp++;
        else if (y == 1) fn++;
    }

    /** One note predicted on with probability p, against the truth y: its expected counts. */
    public void addExpected(double p, double y) {
        tp += p * y;
        fp += p * (1 - y);
        fn += (1 - p) * y;
    }

    /** Adds the counts of another (merging partial results: in a fixed order, for the same bits). */
    public void add(FrameAccuracy o) {
        tp += o.tp;
        fp += o.fp;
        fn += o.fn;
    }

    /**
     * S frames drawn per time step (row t S + s of {@code drawn}, nv 0/1 values each) against the truth (T, nv): the
     * first author's ACC into {@code acc} (per step the mean accuracy of its draws) and every note into {@code pooled}.
     */
    public static void countDraws(float[] truth, float[] drawn, int steps, int samples, int nv, ExpectedAccuracy acc, FrameAccuracy pooled) {
        for (int t = 0; t < steps; t++) {
            int off = t * nv;
            acc.add(truth, off, drawn, t * samples * nv, samples, nv);
            for (int s = 0; s < samples; s++) {
                for (int j = 0; j < nv; j++) pooled.add(drawn[(t * samples + s) * nv + j] > 0.5f, truth[off + j]);
            }
        }
    }

    /** TP / (TP + FP + FN); NaN when nothing was counted. */
    public double value() {
        return tp / (tp + fp + fn);
    }
}
