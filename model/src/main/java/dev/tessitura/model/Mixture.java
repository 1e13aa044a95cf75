package dev.tessitura.model;

import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.midi.PianoRoll;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A mixture of K trained models with exact frame probabilities, mixed at every time step:
 * P(v_t | v_&lt;t) = sum_k w_k P_k(v_t | v_&lt;t), each member reading the same true past. A sum of normalised
 * conditionals with weights that sum to 1 is normalised, so the mixture is an exact autoregressive model of its own:
 * its log-likelihood per time step is exact and its frames are drawn exactly (member k with probability w_k, then a
 * draw of that member's).
 *
 * <p>The weights are the caller's, or those that maximise the likelihood of other data ({@link #fitWeights}: EM on
 * the members' log-probabilities of the validation split, so that no test frame chooses them).
 */
public final class Mixture {
    private Mixture() {}

    /** The mixture's figures over all frames as one flat list, and each member's log-likelihood per time step. */
    public record Result(long frames, double logLikelihood, double stdErr, double acc, double accPooled, double[] members) {}

    /** log sum_k w_k exp(lp_k): each frame's log-probability under the mixture, from the members' (K, N). */
    public static double[] mix(double[][] memberLogProbs, double[] weights) {
        int n = memberLogProbs[0].length;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < weights.length; k++) if (weights[k] > 0) max = Math.max(max, memberLogProbs[k][i]);
            double sum = 0;
            for (int k = 0; k < weights.length; k++) if (weights[k] > 0) sum += weights[k] * Math.exp(memberLogProbs[k][i] - max);
            out[i] = max + Math.log(sum);
        }
        return out;
    }

    /**
     * The weights that maximise sum_i log sum_k w_k exp(lp_k[i]) over the frames given, by EM from equal weights
     * (each step: w_k = the mean over frames of member k's responsibility), until no weight moves by 1e-9 or after
     * {@code iterations}. EM never lowers the likelihood, and the problem is concave in w, so this is its maximum.
     */
    public static double[] fitWeights(double[][] memberLogProbs, int iterations) {
        int members = memberLogProbs.length, n = memberLogProbs[0].length;
        double[] w = new double[members];
        java.util.Arrays.fill(w, 1.0 / members);
        double[] r = new double[members];
        for (int it = 0; it < iterations; it++) {
            double[] next = new double[members];
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int k = 0; k < members; k++) max = Math.max(max, memberLogProbs[k][i]);
                for (int k = 0; k < members; k++) sum += r[k] = w[k] * Math.exp(memberLogProbs[k][i] - max);
                for (int k = 0; k < members; k++) next[k] += r[k] / sum;
            }
            double moved = 0;
            for (int k = 0; k < members; k++) {
                next[k] /= n;
                moved = Math.max(moved, Math.abs(next[k] - w[k]));
            }
            w = next;
            if (moved < 1e-9) break;
        }
        return w;
    }

    /** Every member's log-probabilities of every frame of the rolls, one flat list each (K, N). */
    public static double[][] logProbs(List<ExactFrames> members, List<PianoRoll> rolls) {
        long n = rolls.stream().mapToLong(PianoRoll::frames).sum();
        double[][] out = new double[members.size()][Math.toIntExact(n)];
        for (int k = 0; k < members.size(); k++) {
            int at = 0;
            for (PianoRoll r : rolls) {
                double[] lp = members.get(k).logProbs(r);
                System.arraycopy(lp, 0, out[k], at, lp.length);
                at += lp.length;
            }
        }
        return out;
    }

    /**
     * The mixture with these weights on the rolls: its exact log-likelihood per time step, and with S = samples &gt; 0 the
     * first author's ACC and the pooled accuracy of S frames drawn per time step given the true past. Member k draws
     * from Philox stream (seed, 8 + k); which member gives draw s of step t comes from stream (seed, 7).
     * {@code progress} gets each roll's frames.
     */
    public static Result evaluate(List<ExactFrames> members, double[] weights, List<PianoRoll> rolls, int samples, long seed,
                                  IntConsumer progress) {
        int m = members.size();
        if (m == 0 || weights.length != m) throw new IllegalArgumentException("a mixture needs one weight per member, got " + weights.length + " for " + m);
        double total = 0;
        for (double w : weights) {
            if (!(w >= 0)) throw new IllegalArgumentException("mixture weights must be >= 0, got " + java.util.Arrays.toString(weights));
            total += w;
        }
        if (Math.abs(total - 1) > 1e-6) throw new IllegalArgumentException("mixture weights must sum to 1, got " + total);
        int nv = members.get(0).notes();
        for (ExactFrames e : members) {
            if (e.notes() != nv) throw new IllegalArgumentException("the members' frames differ: " + e.notes() + " and " + nv + " notes");
        }
        double[] cumulative = new double[m];
        int lastDrawn = 0;                      // the last member with a weight: it takes what rounding leaves above the sum
        for (int k = 0; k < m; k++) {
            cumulative[k] = (k == 0 ? 0 : cumulative[k - 1]) + weights[k];
            if (weights[k] > 0) lastDrawn = k;
        }
        Rng choose = new Rng(seed, 7);
        Rng[] own = new Rng[m];
        for (int k = 0; k < m; k++) own[k] = new Rng(seed, 8 + k);
        ExpectedAccuracy acc = new ExpectedAccuracy();
        FrameAccuracy pooled = new FrameAccuracy();
        double[] memberSum = new double[m];
        double sum = 0, sumSq = 0;
        long frames = 0;
        for (PianoRoll r : rolls) {
            int steps = r.frames();
            if (steps == 0) continue;
            double[][] lp = new double[m][];
            for (int k = 0; k < m; k++) {
                lp[k] = members.get(k).logProbs(r);
                for (double x : lp[k]) memberSum[k] += x;
            }
            for (double x : mix(lp, weights)) {
                sum += x;
                sumSq += x * x;
            }
            frames += steps;
            if (samples > 0) {
                float[][] drawn = new float[m][];
                for (int k = 0; k < m; k++) drawn[k] = weights[k] > 0 ? members.get(k).draws(r, samples, own[k]) : null;
                float[] u = new float[steps * samples], mixed = new float[steps * samples * nv];
                Philox.uniforms(choose.seed(), choose.stream(), choose.take(u.length), u, 0, u.length);
                for (int row = 0; row < u.length; row++) {
                    int k = 0;
                    while (k < lastDrawn && (weights[k] == 0 || u[row] >= cumulative[k])) k++;
                    System.arraycopy(drawn[k], row * nv, mixed, row * nv, nv);
                }
                FrameAccuracy.countDraws(r.toFloats(), mixed, steps, samples, nv, acc, pooled);
            }
            if (progress != null) progress.accept(steps);
        }
        if (frames == 0) throw new IllegalArgumentException("a mixture: nothing to evaluate (no frames)");
        double mean = sum / frames, var = Math.max(sumSq / frames - mean * mean, 0);
        for (int k = 0; k < m; k++) memberSum[k] /= frames;
        return new Result(frames, mean, Math.sqrt(var / frames), samples > 0 ? acc.value() : Double.NaN,
                samples > 0 ? pooled.value() : Double.NaN, memberSum);
    }
}
