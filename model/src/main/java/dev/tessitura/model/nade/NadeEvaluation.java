package dev.tessitura.model.nade;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ExactFrames;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.FrameAccuracy;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Evaluation of a model whose frames are NADEs (the RNN-NADE, the LSTM-NADE, the frame-level NADE): the exact
 * log-likelihood of every frame given the true history, as one flat list over all frames with its standard error;
 * the first author's accuracy ACC ({@link ExpectedAccuracy}: per time step the mean accuracy of S frames drawn from
 * the model's conditional given the true history, then the mean over time steps); and, secondary, the pooled sum TP /
 * sum (TP + FP + FN) over the same sampled frames ({@link FrameAccuracy}). The samples are exact (ancestral) draws.
 */
public final class NadeEvaluation {
    private NadeEvaluation() {}

    /** The figures over all frames of the sequences evaluated. */
    public record Result(long frames, double logLikelihood, double stdErr, double acc, double accPooled) {}

    /** A model's conditionals for one sequence: {bv(t), bh(t)} of its frames v (T, nv), one row each or shared vectors. */
    @FunctionalInterface
    public interface Biases {
        Tensor[] of(Tensor v, int steps);
    }

    /** Rows of one batch of samples: S per time step for this many time steps, at most. */
    private static final int SAMPLE_ROWS = 4096;

    /**
     * Evaluates {@code nade} on the rolls, S = samples frames per time step (0: no accuracy), draws from Philox stream
     * (seed, 6); progress gets each sequence's frames; null when {@code stop} asked to stop (checked between sequences).
     */
    public static Result evaluate(Backend be, Nade nade, Biases biases, List<PianoRoll> rolls, int samples, long seed,
                                  IntConsumer progress, BooleanSupplier stop) {
        int nv = nade.nv;
        Rng rng = new Rng(seed, 6);
        ExpectedAccuracy acc = new ExpectedAccuracy();
        FrameAccuracy pooled = new FrameAccuracy();
        double sum = 0, sumSq = 0;
        long frames = 0;
        for (PianoRoll r : rolls) {
            if (stop.getAsBoolean()) return null;
            int steps = r.frames();
            if (steps == 0) continue;
            float[] truth = r.toFloats();
            Tensor v = be.of(truth, steps, nv);
            Tensor[] b = biases.of(v, steps);
            for (float lp : be.toArray(nade.logLikelihoods(v, b[0], b[1]))) {
                sum += lp;
                sumSq += (double) lp * lp;
            }
            frames += steps;
            if (samples > 0) sampledAccuracy(be, nade, b, truth, steps, samples, rng, acc, pooled);
            if (progress != null) progress.accept(steps);
        }
        double mean = sum / frames, var = Math.max(sumSq / frames - mean * mean, 0);
        return new Result(frames, mean, Math.sqrt(var / frames), acc.value(), pooled.value());
    }

    /** S frames drawn for every time step of one sequence, given its true history (the biases b), counted into acc and pooled. */
    private static void sampledAccuracy(Backend be, Nade nade, Tensor[] b, float[] truth, int steps, int samples, Rng rng,
                                        ExpectedAccuracy acc, FrameAccuracy pooled) {
        FrameAccuracy.countDraws(truth, draws(be, nade, b, steps, samples, rng), steps, samples, nade.nv, acc, pooled);
    }

    /** S exact draws per time step of one sequence given its true history (the biases b): (T S, nv), row t S + s. */
    static float[] draws(Backend be, Nade nade, Tensor[] b, int steps, int samples, Rng rng) {
        int nv = nade.nv, per = Math.max(1, SAMPLE_ROWS / samples);
        float[] out = new float[steps * samples * nv];
        for (int t0 = 0; t0 < steps; t0 += per) {
            int n = Math.min(per, steps - t0), rows = n * samples;
            Tensor[] rep = new Tensor[2];
            for (int k = 0; k < 2; k++) rep[k] = b[k].rank() == 1 ? b[k] : repeated(be, b[k], t0, n, samples);
            Tensor vs = be.zeros(rows, nv), ps = be.zeros(rows, nv);
            nade.sample(vs, ps, rep[0], rep[1], rng);
            System.arraycopy(be.toArray(vs), 0, out, t0 * samples * nv, rows * nv);
        }
        return out;
    }

    /** The model's exact frames: every sequence's conditionals from {@code biases}, its frames' NADE. */
    public static ExactFrames exact(Backend be, Nade nade, Biases biases) {
        return new ExactFrames() {
            @Override public int notes() { return nade.nv; }

            @Override public double[] logProbs(PianoRoll r) {
                int steps = r.frames();
                if (steps == 0) return new double[0];
                Tensor v = be.of(r.toFloats(), steps, nade.nv);
                Tensor[] b = biases.of(v, steps);
                float[] lp = be.toArray(nade.logLikelihoods(v, b[0], b[1]));
                double[] out = new double[steps];
                for (int t = 0; t < steps; t++) out[t] = lp[t];
                return out;
            }

            @Override public float[] draws(PianoRoll r, int samples, Rng rng) {
                int steps = r.frames();
                if (steps == 0 || samples == 0) return new float[0];
                Tensor[] b = biases.of(be.of(r.toFloats(), steps, nade.nv), steps);
                return NadeEvaluation.draws(be, nade, b, steps, samples, rng);
            }
        };
    }

    /** Rows t0 .. t0 + n of x, each repeated S times: (n S, cols), gathered on the backend. */
    private static Tensor repeated(Backend be, Tensor x, int t0, int n, int samples) {
        float[] at = new float[n * samples];
        for (int i = 0; i < at.length; i++) at[i] = t0 + i / samples;
        Tensor out = be.zeros(n * samples, x.cols());
        be.gatherRows(out, x, be.of(at, at.length));
        return out;
    }
}
