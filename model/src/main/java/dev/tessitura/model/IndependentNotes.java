package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's measures for a model whose conditional P(v(t) | v(&lt;t)) is a product of independent notes, note j on
 * with probability p_j (the LSTM, the RNN, the MLP, the count-based baselines), accumulated frame by frame: the exact
 * log-likelihood per time step over all frames as one flat list with its standard error; the exact expected
 * accuracy ({@link ExpectedAccuracy#independent}), the headline; and as secondary figures the pooled expected
 * accuracy sum E[TP] / sum E[TP + FP + FN] and the pooled accuracy of the thresholded prediction p_j > 0.5
 * ({@link FrameAccuracy}). Optionally also the expected accuracy estimated from s frames sampled per step with
 * Philox draws, which checks the exact figure.
 */
public final class IndependentNotes {
    /** The figures; accSampled is NaN when no frames were sampled. */
    public record Result(long frames, double logLikelihood, double stdErr, double accuracy, double accStdErr, double accPooled,
                         double accThreshold, double accSampled) {
        /** As the registry's scores: the headline accuracy, and the secondary figures by name. */
        public ModelKind.Scores scores() {
            Map<String, Double> more = new LinkedHashMap<>();
            more.put(ModelKind.ACC_STDERR, accStdErr);
            more.put("acc_pooled", accPooled);
            more.put("acc_threshold", accThreshold);
            if (!Double.isNaN(accSampled)) more.put("acc_sampled", accSampled);
            return new ModelKind.Scores(frames, logLikelihood, stdErr, accuracy, more);
        }
    }

    /** evaluate's settings for such a model: frames sampled per step for the sampled check (0: none), and their seed. */
    public record Options(int samples, long seed) {
        public Options {
            if (samples < 0) throw new IllegalArgumentException("--samples must be >= 0, got " + samples);
        }
    }

    public static final Settings<Options> SETTINGS = Settings.of(new Options(ExpectedAccuracy.SAMPLES, 1))
            .integer(null, "--samples", "N", "frames drawn per time step to check the exact expected accuracy by sampling (0: none)",
                    Options::samples, (o, v) -> new Options(v, o.seed()))
            .longInt(null, "--seed", "S", "seed of the sampled frames", Options::seed, (o, v) -> new Options(o.samples(), v))
            .build();

    /** How a model with independent notes measures a checkpoint on the selected rolls. */
    public interface Measure {
        Result of(Backend be, SafeTensors.Contents c, List<PianoRoll> rolls, Options o) throws IOException;
    }

    /**
     * The registry's evaluate for such a model: the selection, the measure, and the lines every such model prints
     * (what was read, the log-likelihood, the accuracies, the repeat baseline on the same rolls).
     */
    public static ModelKind.Evaluating<Options> evaluating(Measure measure) {
        return new ModelKind.Evaluating<>() {
            @Override public Settings<Options> settings() { return SETTINGS; }

            @Override public ModelKind.Scores evaluate(Backend be, SafeTensors.Contents c, Options o, ModelKind.Selection s, Report report)
                    throws IOException {
                long t0 = System.nanoTime();
                List<PianoRoll> rolls = Rolls.selection(s);
                Result ev = measure.of(be, c, rolls, o);
                report.line(Rolls.selectionLine(s, rolls.size(), ev.frames(), t0));
                Rolls.reportIndependent(report, ev, "exact for independent sigmoid outputs");
                report.line(Rolls.repeatBaseline(rolls));
                return ev.scores();
            }
        };
    }

    private final int n;
    private final int samples;
    private final long seed, stream;
    private final double[] p, scratch;
    private final float[] drawn, uniforms;
    private final ExpectedAccuracy exact = new ExpectedAccuracy(), sampled = new ExpectedAccuracy();
    private final FrameAccuracy pooled = new FrameAccuracy(), threshold = new FrameAccuracy();
    private double sum, sumSq;
    private long frames;

    /** Exact figures only, for frames of n notes. */
    public IndependentNotes(int n) {
        this(n, 0, 0, 0);
    }

    /**
     * Also the expected accuracy from {@code samples} frames drawn per step: frame i's draws are the uniforms of
     * Philox stream (seed, stream) from block i ceil(samples n / 4), so the figure does not depend on batching.
     */
    public IndependentNotes(int n, int samples, long seed, long stream) {
        if (n < 1 || samples < 0) throw new IllegalArgumentException("independent notes: n >= 1 and samples >= 0, got " + n + ", " + samples);
        this.n = n;
        this.samples = samples;
        this.seed = seed;
        this.stream = stream;
        p = new double[n];
        scratch = new double[n + 1];
        drawn = new float[samples * n];
        uniforms = new float[samples * n];
    }

    /** One frame predicted from logits z (n from zOff): p_j = sigmoid(z_j); log terms as softplus, stable for any z. */
    public void addLogits(float[] z, int zOff, float[] truth, int off) {
        double ll = 0;
        for (int j = 0; j < n; j++) {
            double x = z[zOff + j];
            p[j] = 1 / (1 + Math.exp(-x));
            ll -= softplus(x) - truth[off + j] * x;          // log P(y) = y x - softplus(x)
        }
        frame(ll, truth, off);
    }

    /** One frame predicted with probabilities (n from pOff, each in (0, 1)). */
    public void addProbabilities(double[] prob, int pOff, float[] truth, int off) {
        double ll = 0;
        for (int j = 0; j < n; j++) {
            double q = prob[pOff + j];
            p[j] = q;
            ll += truth[off + j] > 0.5f ? Math.log(q) : Math.log1p(-q);
        }
        frame(ll, truth, off);
    }

    private void frame(double ll, float[] truth, int off) {
        sum += ll;
        sumSq += ll * ll;
        exact.addExpected(ExpectedAccuracy.independent(truth, off, p, 0, n, scratch));
        for (int j = 0; j < n; j++) {
            double y = truth[off + j];
            pooled.addExpected(p[j], y);
            threshold.add(p[j] > 0.5, y);
        }
        if (samples > 0) {
            Philox.uniforms(seed, stream, frames * ((samples * (long) n + 3) / 4), uniforms, 0, uniforms.length);
            for (int i = 0; i < uniforms.length; i++) drawn[i] = uniforms[i] < p[i % n] ? 1f : 0f;
            sampled.add(truth, off, drawn, 0, samples, n);
        }
        frames++;
    }

    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    public long frames() {
        return frames;
    }

    /** The figures so far; NaN where no frame was added. */
    public Result result() {
        double mean = sum / frames, var = Math.max(sumSq / frames - mean * mean, 0);
        return new Result(frames, mean, Math.sqrt(var / frames), exact.value(), exact.stdErr(), pooled.value(), threshold.value(),
                samples > 0 ? sampled.value() : Double.NaN);
    }
}
