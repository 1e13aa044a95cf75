package dev.tessitura.model.rbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.FrameAccuracy;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The paper's measures for a model whose every frame is an RBM conditioned on the past ({@link ConditionalRbms}: the
 * RNN-RBM, the LSTM-RBM): the log-likelihood per time step with AIS for every conditional's log Z, and frame-level
 * accuracies from Gibbs estimates of the note marginals.
 */
public final class ConditionalRbmEvaluation {
    /** A model of conditional RBMs: W (nv, nh) shared by all frames, biases bv(t), bh(t) made from the past. */
    public interface ConditionalRbms {
        int nv();

        int nh();

        /** (nv, nh). */
        Tensor W();

        /** The biases of every step of one sequence v (T, nv): bv(t) into bv (T, nv), bh(t) into bh (T, nh). */
        void biases(Tensor v, int steps, Tensor bv, Tensor bh);
    }

    /**
     * How to evaluate: AIS runs per frame (0: accuracies only) and temperatures (of the shape of the paper's
     * schedule), Gibbs burn-in and samples for the marginals, where the chains start, frames x runs per batch (at
     * least one sequence: 0 or 1 mean one sequence per batch), the seed of the draws. Defaults: the cheaper AIS
     * ({@link AisPreset#QUICK}), 20 + 50 Gibbs steps from v(t-1), one sequence per batch.
     */
    public record Options(int aisRuns, int aisSteps, int burnIn, int samples, ChainStart chainStart, int batchChains, long seed) {
        public static Options defaults() {
            return new Options(AisPreset.QUICK.runs, AisPreset.QUICK.steps, 20, ExpectedAccuracy.SAMPLES, ChainStart.PREVIOUS, 1, 1);
        }

        /** The AIS runs and temperatures of a preset. */
        public Options withAis(AisPreset p) { return withAisRuns(p.runs).withAisSteps(p.steps); }

        /** The preset these runs and temperatures are, or null. */
        public AisPreset ais() {
            for (AisPreset p : AisPreset.values()) if (p.runs == aisRuns && p.steps == aisSteps) return p;
            return null;
        }

        public Options {
            if (aisRuns < 0 || aisRuns == 1) throw new IllegalArgumentException("--ais-runs must be 0 (accuracies only) or >= 2, got " + aisRuns);
            if (aisSteps < 1) throw new IllegalArgumentException("--ais-steps must be >= 1, got " + aisSteps);
            if (burnIn < 0) throw new IllegalArgumentException("--gibbs-burn-in must be >= 0, got " + burnIn);
            if (samples < 1) throw new IllegalArgumentException("--gibbs-samples must be >= 1, got " + samples);
            if (batchChains < 0) throw new IllegalArgumentException("--batch-chains must be >= 0, got " + batchChains);
        }

        public Options withAisRuns(int v) { return new Options(v, aisSteps, burnIn, samples, chainStart, batchChains, seed); }
        public Options withAisSteps(int v) { return new Options(aisRuns, v, burnIn, samples, chainStart, batchChains, seed); }
        public Options withBurnIn(int v) { return new Options(aisRuns, aisSteps, v, samples, chainStart, batchChains, seed); }
        public Options withSamples(int v) { return new Options(aisRuns, aisSteps, burnIn, v, chainStart, batchChains, seed); }
        public Options withChainStart(ChainStart v) { return new Options(aisRuns, aisSteps, burnIn, samples, v, batchChains, seed); }
        public Options withBatchChains(int v) { return new Options(aisRuns, aisSteps, burnIn, samples, chainStart, v, seed); }
        public Options withSeed(long v) { return new Options(aisRuns, aisSteps, burnIn, samples, chainStart, batchChains, v); }
    }

    /**
     * Named AIS budgets. {@link #PAPER} is the paper's protocol: 100 runs per conditional RBM and the ~14,500
     * temperatures of the cited AIS code's schedule ({@link Ais.Schedule#paper()}; about 3 days of one CPU core for
     * Nottingham's test split). {@link #QUICK}, 20 runs x 1,000 temperatures of the same shape, reads about 0.04 nats
     * optimistic on a trained Nottingham RNN-RBM (REPRODUCTION.md) at a seventieth of the cost.
     */
    public enum AisPreset {
        QUICK(20, 1000), PAPER(100, 14_500);

        public final int runs, steps;

        AisPreset(int runs, int steps) {
            this.runs = runs;
            this.steps = steps;
        }
    }

    /**
     * The measures over all frames of a split as one flat list: log-likelihood per time step with its standard error
     * (over frames) and the AIS estimates' share of it. Accuracies by the paper's rule ({@link ExpectedAccuracy}, the
     * mean over time steps of each step's expected TP / (TP + FP + FN)): of the AIS runs' weighted end states
     * ({@code accAisFrames}) and of the frames the Gibbs chains visit ({@code accChainFrames}); the standard error
     * over time steps of the headline one ({@link #accuracy}). Pooled accuracies
     * sum TP / sum (TP + FP + FN), secondary: of the Gibbs marginals (expected, thresholded at 0.5), of one sample,
     * of the most probable sampled frame; of the AIS runs' weighted marginals (expected, thresholded). NaN where not
     * computed.
     */
    public record Evaluation(long frames, double logLikelihood, double stdErr, double aisStdErr, double accAisFrames, double accChainFrames,
                             double accStdErr,
                             double accExpected, double accThreshold, double accSampled, double accMode,
                             double accAisExpected, double accAisThreshold) {
        /**
         * The headline accuracy: from the AIS runs' weighted end states where AIS ran, because that estimate does not
         * depend on where a chain starts (the conditionals of a trained model mix so slowly that chains from the
         * previous frame, from zeros or from the answer still disagree by points after thousands of steps:
         * REPRODUCTION.md); from the Gibbs chains started at v(t-1) otherwise.
         */
        public double accuracy() {
            return Double.isNaN(accAisFrames) ? accChainFrames : accAisFrames;
        }
    }

    /**
     * Where the accuracy's Gibbs chains start for frame t. {@link #PREVIOUS} is the prediction: v(t-1) is known when
     * v(t) is predicted. {@link #ZEROS} is a prediction too, but a trained model's peaked conditionals keep such chains
     * near silence. {@link #TRUE_FRAME} starts at the answer v(t) itself: not a prediction, a diagnostic of what a
     * short chain near the data scores (how far the model's conditionals hold the true frame).
     */
    public enum ChainStart { PREVIOUS, ZEROS, TRUE_FRAME }

    private final Backend be;
    private final ConditionalRbms model;

    public ConditionalRbmEvaluation(Backend be, ConditionalRbms model) {
        this.be = be;
        this.model = model;
    }

    /**
     * The paper's protocol over every frame of {@code rolls} as one flat list (longer sequences weigh more):
     * log P(v(t) | v(<t)) = -F_t(v(t)) - log Z_t with log Z_t by AIS ({@link Options#aisRuns} chains per frame, {@link Options#aisSteps} temperatures of the paper's schedule's shape,
     * base rate: see the evaluate form with baseRate); accuracy from the note marginals P(v_j(t) = 1 | v(<t)) estimated
     * as the mean of P(v | h) over {@link Options#samples} Gibbs steps after {@link Options#burnIn} from the previous frame (see {@link ChainStart}), and from the state
     * of the last of those steps (a sampled prediction), and from the most probable frame the chain visited among
     * those samples (the mode prediction: P(v | v(<t)) = exp(-F_t(v)) / Z_t with one Z_t per frame, so the visited state of
     * least free energy is the most probable one; no AIS needed). With AIS, also the accuracies of the marginals that
     * its runs' weighted end states estimate (thresholded and expected): they do not depend on where a chain starts,
     * which the Gibbs marginals of a slowly mixing model do. With 0 runs no log-likelihood is computed (NaN):
     * accuracies only, and the AIS accuracies are NaN.
     * Consecutive sequences are evaluated together as one batch of conditionals, as many as keep frames x max(runs, 1)
     * within {@link Options#batchChains} (at least one sequence): the same estimates (every conditional has its own
     * rows). Draws: a batch of one sequence (the CPU default) draws from its own Philox stream, keyed by (seed, the
     * sequence's index in rolls), so that the figures do not depend on which sequences are evaluated where
     * ({@link #tallies}); batches of several (a GPU's) share one stream (seed, 6) in batch order.
     */
    public Evaluation evaluate(List<PianoRoll> rolls, Options o, IntConsumer progress) {
        return evaluate(rolls, o, progress, () -> false);
    }

    /** As above, checking {@code stop} between batches: null when it asked to stop. */
    public Evaluation evaluate(List<PianoRoll> rolls, Options o, IntConsumer progress, BooleanSupplier stop) {
        return evaluate(rolls, rolls, o, progress, stop);
    }

    /**
     * As above with AIS's base-rate model fit to the note frequencies of {@code baseRate} (the paper's: the training
     * data; the validation monitor uses the split it reads).
     */
    public Evaluation evaluate(List<PianoRoll> rolls, List<PianoRoll> baseRate, Options o, IntConsumer progress, BooleanSupplier stop) {
        List<Tally> parts = tallies(rolls, baseRate, 0, rolls.size(), o, progress, stop);
        return parts == null ? null : Tally.merge(parts, o.aisRuns() > 0).evaluation();
    }

    /**
     * The sums of the sequences [from, to) of rolls, one {@link Tally} per batch in order (a sequence with no frames
     * gives none), the AIS base rate from baseRate; null when {@code stop} asked to stop. With one sequence per
     * batch, tallies of any split of rolls into ranges, merged in sequence order ({@link Tally#merge}), are bit for
     * bit what {@link #evaluate} gives.
     */
    public List<Tally> tallies(List<PianoRoll> rolls, List<PianoRoll> baseRate, int from, int to, Options o, IntConsumer progress,
                               BooleanSupplier stop) {
        int runs = o.aisRuns(), burnIn = o.burnIn(), samples = o.samples(), batchChains = o.batchChains();
        ChainStart chainStart = o.chainStart();
        Ais.Schedule schedule = runs > 0 ? Ais.Schedule.paperShape(o.aisSteps()) : null;
        Rng g = new Rng(o.seed(), 6);
        int nv = model.nv();
        List<float[]> all = new ArrayList<>();
        long count = 0;
        for (PianoRoll r : rolls) {
            all.add(r.toFloats());
            count += r.frames();
        }
        float[] flat = new float[Math.toIntExact(count * nv)];
        int at = 0;
        for (float[] a : all) {
            System.arraycopy(a, 0, flat, at, a.length);
            at += a.length;
        }
        Tensor base = runs > 0 ? baseRate(baseRate, nv) : null;
        List<Tally> out = new ArrayList<>();
        int nh = model.nh(), done = 0;                                     // rows of flat before the batch
        for (int s = 0; s < from; s++) done += rolls.get(s).frames();
        for (int first = from, next; first < to; first = next) {
            if (stop.getAsBoolean()) return null;
            // the batch: sequences [first, next), their frames one after another, each with its own bv(t), bh(t)
            long rows = 0;
            next = first;
            while (next < to && (next == first || (rows + rolls.get(next).frames()) * Math.max(runs, 1) <= batchChains)) {
                rows += rolls.get(next++).frames();
            }
            int steps = Math.toIntExact(rows);
            float[] x = java.util.Arrays.copyOfRange(flat, done * nv, (done + steps) * nv);
            done += steps;
            if (steps == 0) continue;
            Rng rng = next - first == 1 ? new Rng(o.seed(), 6 | (long) first << 32) : g;   // stream 6 for sequence 0, as before
            Tally tally = new Tally(runs > 0);
            out.add(tally);
            tally.frames = steps;
            // accuracies of the Gibbs marginals thresholded and expected, of one sample, of the mode; of the AIS marginals
            FrameAccuracy acc = tally.threshold, expected = tally.expected, sampled = tally.sampled, modeAcc = tally.mode,
                    aisAcc = tally.aisThreshold, aisExpected = tally.aisExpected;
            // the paper's rule: per time step, over the AIS runs' weighted end states and over the chains' sampled frames
            ExpectedAccuracy aisFrames = tally.aisFrames, chainFrames = tally.chainFrames;
            Tensor bvt = be.zeros(steps, nv), bht = be.zeros(steps, nh);
            for (int s = first, row = 0; s < next; s++) {
                int n = rolls.get(s).frames();
                if (n == 0) continue;
                model.biases(be.of(all.get(s), n, nv), n, bvt.slice(row, row + n), bht.slice(row, row + n));
                row += n;
            }
            Tensor v = be.of(x, steps, nv);
            Tensor f = be.zeros(steps);
            be.freeEnergy(f, v, model.W(), bvt, bht);
            float[] fe = be.toArray(f);
            if (runs > 0) {
                float[] aisP = new float[x.length];
                Ais.Runs ais = Ais.run(be, model.W(), bvt, bht, base, runs, schedule, rng);
                for (int t = 0; t < steps; t++) {
                    Ais.Estimate z = ais.estimates()[t];
                    double ll = -fe[t] - z.logZ();
                    tally.sum += ll;
                    tally.sumSq += ll * ll;
                    tally.aisVar += z.stdErr() * z.stdErr();
                    ais.marginals(t, aisP, t * nv);
                    aisFrames.addExpected(ais.expectedAccuracy(t, x, t * nv));
                }
                // the same runs' weighted end states give marginals that need no Gibbs chain to mix (see Ais)
                for (int i = 0; i < x.length; i++) {
                    aisAcc.add(aisP[i] > 0.5, x[i]);
                    aisExpected.addExpected(aisP[i], x[i]);
                }
            }
            // marginals: mean of P(v | h) over Gibbs steps with each frame's biases, each chain started (by default) at
            // the previous (true, known) frame v(t-1), zeros for t = 1: a trained model's conditionals are peaked, and chains from
            // zeros stay near silence for hundreds of steps (Nottingham, run D: 45 % thresholded ACC after 20 + 50
            // steps from zeros, 63 % after 1000 + 1000)
            float[] start = switch (chainStart) {
                case PREVIOUS -> {                                           // v(t-1), zeros at each sequence's start
                    float[] a = new float[x.length];
                    for (int s = first, row = 0; s < next; row += rolls.get(s++).frames()) {
                        int n = rolls.get(s).frames();
                        if (n > 1) System.arraycopy(x, row * nv, a, (row + 1) * nv, (n - 1) * nv);
                    }
                    yield a;
                }
                case ZEROS -> new float[x.length];
                case TRUE_FRAME -> x.clone();
            };
            Tensor chain = be.of(start, steps, nv), vp = be.zeros(steps, nv), mean = be.zeros(steps, nv);
            if (burnIn > 0) be.gibbsChain(chain, vp, model.W(), bvt, bht, burnIn, rng);
            // the mode prediction: per frame, the sampled state of least free energy F_t (ties: the earliest)
            float[] mode = new float[x.length], modeF = new float[steps];
            java.util.Arrays.fill(modeF, Float.POSITIVE_INFINITY);
            double[] chainAcc = new double[steps];                          // per frame, the sum over its sampled states
            for (int i = 0; i < samples; i++) {
                be.gibbsChain(chain, vp, model.W(), bvt, bht, 1, rng);
                be.axpy(mean, vp, 1f / samples);
                be.freeEnergy(f, chain, model.W(), bvt, bht);
                float[] fc = be.toArray(f);
                float[] state = be.toArray(chain);
                for (int t = 0; t < steps; t++) {
                    chainAcc[t] += ExpectedAccuracy.of(x, t * nv, state, t * nv, nv);
                    if (!(fc[t] < modeF[t])) continue;
                    modeF[t] = fc[t];
                    System.arraycopy(state, t * nv, mode, t * nv, nv);
                }
            }
            for (int t = 0; t < steps; t++) chainFrames.addExpected(chainAcc[t] / samples);
            float[] p = be.toArray(mean), smp = be.toArray(chain);
            for (int i = 0; i < p.length; i++) {
                acc.add(p[i] > 0.5, x[i]);
                sampled.add(smp[i] > 0.5, x[i]);
                modeAcc.add(mode[i] > 0.5, x[i]);
                expected.addExpected(p[i], x[i]);
            }
            if (progress != null) progress.accept(steps);
        }
        return out;
    }

    /** AIS's base-rate visible biases from the note frequencies of these rolls (nv notes each). */
    private Tensor baseRate(List<PianoRoll> rolls, int nv) {
        long n = rolls.stream().mapToLong(PianoRoll::frames).sum();
        float[] flat = new float[Math.toIntExact(n * nv)];
        int at = 0;
        for (PianoRoll r : rolls) {
            float[] a = r.toFloats();
            System.arraycopy(a, 0, flat, at, a.length);
            at += a.length;
        }
        return Ais.baseRateBiases(be, be.of(flat, Math.toIntExact(n), nv));
    }

    /**
     * What one batch adds: frames, the sum of the frames' log-likelihoods, of their squares, of the AIS estimates'
     * variances, and the accuracy counts. Merged by plain additions in order, so the same tallies merged in the same
     * order give the same bits wherever they were computed.
     */
    public static final class Tally implements Serializable {
        private static final long serialVersionUID = 1L;
        private final boolean ais;
        private long frames;
        private double sum, sumSq, aisVar;
        private final FrameAccuracy threshold = new FrameAccuracy(), expected = new FrameAccuracy(), sampled = new FrameAccuracy(),
                mode = new FrameAccuracy(), aisThreshold = new FrameAccuracy(), aisExpected = new FrameAccuracy();
        private final ExpectedAccuracy aisFrames = new ExpectedAccuracy(), chainFrames = new ExpectedAccuracy();

        /** Empty; {@code ais}: whether it holds log-likelihoods (AIS runs > 0). */
        public Tally(boolean ais) {
            this.ais = ais;
        }

        /** The tallies added one after another to an empty one. */
        public static Tally merge(List<Tally> parts, boolean ais) {
            Tally all = new Tally(ais);
            for (Tally t : parts) all.add(t);
            return all;
        }

        public void add(Tally o) {
            frames += o.frames;
            sum += o.sum;
            sumSq += o.sumSq;
            aisVar += o.aisVar;
            threshold.add(o.threshold);
            expected.add(o.expected);
            sampled.add(o.sampled);
            mode.add(o.mode);
            aisThreshold.add(o.aisThreshold);
            aisExpected.add(o.aisExpected);
            aisFrames.add(o.aisFrames);
            chainFrames.add(o.chainFrames);
        }

        public long frames() { return frames; }

        /** The measures over the frames added (see {@link Evaluation}). */
        public Evaluation evaluation() {
            double mean = ais ? sum / frames : Double.NaN, var = Math.max(sumSq / frames - mean * mean, 0);
            return new Evaluation(frames, mean, Math.sqrt(var / frames), Math.sqrt(aisVar) / frames,
                    ais ? aisFrames.value() : Double.NaN, chainFrames.value(), ais ? aisFrames.stdErr() : chainFrames.stdErr(),
                    expected.value(), threshold.value(), sampled.value(), mode.value(),
                    ais ? aisExpected.value() : Double.NaN, ais ? aisThreshold.value() : Double.NaN);
        }
    }

}
