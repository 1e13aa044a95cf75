package dev.tessitura.model;

/**
 * Frame-level accuracy as the paper's first author defines it (../shared/research/ICML2012-NOTES.md): for each time
 * step, the expectation over frames drawn from the model's conditional given the true history of that frame's
 * accuracy TP / (TP + FP + FN), then the mean over all time steps. An empty frame predicted for an empty one counts
 * 1. Where the expectation is intractable it is estimated from sampled frames (50 per step by default); the pooled
 * sum TP / sum (TP + FP + FN) of {@link FrameAccuracy} is the secondary figure.
 */
public final class ExpectedAccuracy implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** Samples per time step where the expectation is estimated by sampling. */
    public static final int SAMPLES = 50;

    private double sum, sumSq;
    private long frames;

    /** The accuracy of one predicted frame against the truth, n notes each (0/1 values) from the given offsets. */
    public static double of(float[] truth, int off, float[] predicted, int pOff, int n) {
        int tp = 0, fp = 0, fn = 0;
        for (int j = 0; j < n; j++) {
            boolean y = truth[off + j] > 0.5f, p = predicted[pOff + j] > 0.5f;
            if (y && p) tp++;
            else if (p) fp++;
            else if (y) fn++;
        }
        return tp + fp + fn == 0 ? 1 : (double) tp / (tp + fp + fn);
    }

    /**
     * The exact expected accuracy of a frame drawn with independent notes, note j on with probability p[pOff + j],
     * against the truth (n notes from off). With k true notes, TP + FP + FN = k + FP, and TP (a sum over the true
     * notes) is independent of FP (a sum over the others), so E[TP / (k + FP)] = E[TP] E[1 / (k + FP)]: the
     * distribution of FP (Poisson-binomial) by the usual recursion, O(n^2). With k = 0 it is P(FP = 0), the chance of
     * predicting the empty frame. {@code scratch} holds at least n + 1 doubles.
     */
    public static double independent(float[] truth, int off, double[] p, int pOff, int n, double[] scratch) {
        int k = 0, m = 0;
        double tp = 0;
        double[] fp = scratch;                      // fp[c] = P(FP = c) over the false notes seen so far
        fp[0] = 1;
        for (int j = 0; j < n; j++) {
            double q = p[pOff + j];
            if (truth[off + j] > 0.5f) {
                k++;
                tp += q;
                continue;
            }
            fp[++m] = 0;
            for (int c = m; c > 0; c--) fp[c] = fp[c] * (1 - q) + fp[c - 1] * q;
            fp[0] *= 1 - q;
        }
        if (k == 0) return fp[0];
        double inv = 0;
        for (int c = 0; c <= m; c++) inv += fp[c] / (k + c);
        return tp * inv;
    }

    /** One time step: the truth (n notes from off) and s sampled frames (s consecutive rows of n from sOff). */
    public void add(float[] truth, int off, float[] samples, int sOff, int s, int n) {
        double a = 0;
        for (int k = 0; k < s; k++) a += of(truth, off, samples, sOff + k * n, n);
        addExpected(a / s);
    }

    /** One time step whose expected accuracy is known. */
    public void addExpected(double accuracy) {
        sum += accuracy;
        sumSq += accuracy * accuracy;
        frames++;
    }

    /** Adds the time steps of another (merging partial results: in a fixed order, for the same bits). */
    public void add(ExpectedAccuracy o) {
        sum += o.sum;
        sumSq += o.sumSq;
        frames += o.frames;
    }

    /** The mean over the time steps added; NaN when none was. */
    public double value() {
        return sum / frames;
    }

    /** The standard error of {@link #value} over the time steps (their spread, not the sampling's). */
    public double stdErr() {
        double mean = value();
        return Math.sqrt(Math.max(sumSq / frames - mean * mean, 0) / frames);
    }

    public long frames() {
        return frames;
    }
}
