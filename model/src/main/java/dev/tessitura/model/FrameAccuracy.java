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

    /** TP / (TP + FP + FN); NaN when nothing was counted. */
    public double value() {
        return tp / (tp + fp + fn);
    }
}
