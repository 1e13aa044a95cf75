package dev.tessitura.model.rbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/**
 * Annealed importance sampling estimate of an RBM's log partition function (Salakhutdinov and Murray, "On the
 * quantitative analysis of deep belief networks", ICML 2008), run on the engine with all chains as one batch.
 *
 * <p><b>Base-rate model.</b> A has W = 0, visible biases a (given: the data marginals' logits from
 * {@link #baseRateBiases}, or by default the target's own bv) and nh hidden units with bias 0, so
 * log Z_A = sum_i softplus(a_i) + nh log 2 and v ~ P_A is exact: bernoulli(sigmoid(a)). With zero hidden biases the
 * base's hidden units contribute the same constant 2^nh at every temperature (as in Salakhutdinov's code), so
 * <pre>
 *   log p*_beta(v) = v.((1 - beta) a + beta bv) + sum_j softplus(beta (v W + bh)_j) + const = -F(v; beta W, (1 - beta) a + beta bv, beta bh)
 * </pre>
 * i.e. each intermediate distribution is itself an RBM with scaled parameters: the engine's freeEnergy gives
 * log p*_beta and one gibbsChain step under those parameters is a transition that leaves p_beta invariant.
 *
 * <p><b>The run.</b> For inverse temperatures 0 = beta_0 &lt; beta_1 &lt; ... &lt; beta_K = 1: draw v_0 ~ P_A,
 * then for k = 1..K add log p*_k(v) - log p*_{k-1}(v) = F_{k-1}(v) - F_k(v) to log w and (k &lt; K) move v by one
 * Gibbs step at beta_k. Then Z / Z_A is estimated by mean(w) over M independent runs, and log Z by
 * log Z_A + log-mean-exp(log w). The per-step increments are summed in float32 on the device for
 * {@link #FLUSH} steps at a time and then added into float64 on the host, so the float32 error stays at the
 * level of single free-energy roundings (about 1e-6 relative) rather than growing with K.
 *
 * <p><b>Schedules.</b> {@link Schedule#paper()} is the paper's: beta steps of 1e-3 on [0, 0.5], 1e-4 on [0.5, 0.9]
 * and 1e-5 on [0.9, 1], 14,500 intervals. {@link Schedule#paperShape(int)} keeps those three segments and their
 * share of the steps (1 : 8 : 20) with any total K, the cheaper setting for evaluation during training.
 *
 * <p><b>Batches of conditional RBMs.</b> The RNN-RBM needs log Z_t for every time step's RBM, which share W but have
 * their own biases bv(t), bh(t). {@link #logZ(Backend, Tensor, Tensor, Tensor, Tensor, int, Schedule, Rng)} takes
 * biases (nv) or (B, nv) and (nh) or (B, nh) and runs M chains for each of the B conditionals as one batch of
 * B M rows (rows b M .. (b + 1) M - 1 belong to conditional b).
 *
 * <p><b>Uncertainty.</b> With r_m = w_m / max w, Zhat = Z_A max(w) mean(r) and sigma = std(r) / sqrt(M) the standard
 * error of mean(r); {@link Estimate#stdErr} = sigma / mean(r) is the delta-method standard error of log Zhat, and
 * logZLow, logZHigh = log(Zhat -+ 3 sigma Z_A max w), the paper's +-3 sigma interval (logZLow is -infinity when
 * the interval reaches 0). Since E[Zhat] = Z, Jensen gives E[log Zhat] &lt;= log Z: a short schedule errs low.
 */
public final class Ais {
    /** Steps whose increments are summed in float32 before they are added into float64. */
    static final int FLUSH = 64;

    private Ais() {}

    /** Inverse temperatures 0 = betas[0] &lt; betas[1] &lt; ... &lt; betas[K] = 1. */
    public record Schedule(double[] betas) {
        public Schedule {
            if (betas.length < 2 || betas[0] != 0 || betas[betas.length - 1] != 1) {
                throw new IllegalArgumentException("ais: a schedule runs from beta 0 to beta 1 in at least one step");
            }
            for (int k = 1; k < betas.length; k++) {
                if (!(betas[k] > betas[k - 1])) throw new IllegalArgumentException("ais: betas must increase, step " + k);
            }
            betas = betas.clone();
        }

        /** The number of intervals K (K + 1 temperatures). */
        public int intervals() { return betas.length - 1; }

        @Override
        public double[] betas() { return betas.clone(); }

        /** The paper's schedule: step 1e-3 on [0, 0.5], 1e-4 on [0.5, 0.9], 1e-5 on [0.9, 1]; K = 14,500. */
        public static Schedule paper() {
            return segments(500, 4000, 10000);
        }

        /** The paper's three segments with K intervals in all, shared 1 : 8 : 20 (each segment at least one). */
        public static Schedule paperShape(int intervals) {
            if (intervals < 3) throw new IllegalArgumentException("ais: paperShape needs K >= 3, got " + intervals);
            int n1 = Math.max(1, (int) Math.round(intervals / 29.0)), n2 = Math.max(1, (int) Math.round(intervals * 8 / 29.0));
            return segments(n1, n2, intervals - n1 - n2);
        }

        private static Schedule segments(int n1, int n2, int n3) {
            double[] b = new double[n1 + n2 + n3 + 1];
            for (int i = 0; i <= n1; i++) b[i] = 0.5 * i / n1;
            for (int i = 1; i <= n2; i++) b[n1 + i] = 0.5 + 0.4 * i / n2;
            for (int i = 1; i <= n3; i++) b[n1 + n2 + i] = 0.9 + 0.1 * i / n3;
            b[b.length - 1] = 1;
            return new Schedule(b);
        }
    }

    /**
     * One conditional's estimate: logZ = log Z_A + log-mean-exp(log w); stdErr its delta-method standard error;
     * logZLow and logZHigh the +-3 sigma interval; logZBase = log Z_A.
     */
    public record Estimate(double logZ, double stdErr, double logZLow, double logZHigh, double logZBase) {}

    /** The RBM's log Z; baseBv (nv) as in the class comment, or null for the RBM's own bv. */
    public static Estimate logZ(Rbm rbm, Tensor baseBv, int runs, Schedule schedule, Rng rng) {
        return logZ(rbm.backend(), rbm.w, rbm.bv, rbm.bh, baseBv, runs, schedule, rng)[0];
    }

    /**
     * Visible biases for the base-rate model: the logits of the data's marginals, p_i = (count_i + 1) / (N + 2)
     * (Laplace smoothing keeps units that are always on or always off finite). data (N, nv) of 0/1.
     */
    public static Tensor baseRateBiases(Backend be, Tensor data) {
        int n = data.rows(), nv = data.cols();
        Tensor counts = be.zeros(nv);
        be.columnSums(counts, data, 1f, 0f);
        float[] c = be.toArray(counts);
        for (int i = 0; i < nv; i++) {
            double p = (c[i] + 1.0) / (n + 2.0);
            c[i] = (float) Math.log(p / (1 - p));
        }
        be.copyFromHost(counts, c, 0);
        return counts;
    }

    /**
     * log Z of B RBMs sharing W (nv, nh) with visible biases bv (nv) or (B, nv) and hidden biases bh (nh) or (B, nh);
     * B is the row count of whichever bias is per row (1 if neither). baseBv: the base-rate model's visible biases,
     * (nv) or (B, nv), or null for each conditional's own bv. runs (M >= 2) AIS chains per conditional, one batch of
     * B M rows; rng supplies every draw (one of B M nv for v_0, then those of K - 1 Gibbs steps).
     */
    public static Estimate[] logZ(Backend be, Tensor w, Tensor bv, Tensor bh, Tensor baseBv, int runs, Schedule schedule, Rng rng) {
        return run(be, w, bv, bh, baseBv, runs, schedule, rng).estimates();
    }

    /**
     * What the runs of {@link #run} leave: each conditional's estimate, and every run's log importance weight (B M)
     * and end state (B M, nv), rows c M .. (c + 1) M - 1 those of conditional c. Each end state v_r, weighted by w_r,
     * is a weighted sample of the target RBM (self-normalised importance sampling), and no chain has to mix between
     * the RBM's modes for it: each run starts from the base-rate model's independent draw.
     */
    public record Runs(Estimate[] estimates, double[] logW, float[] ends, int runs, int nv) {
        /** Conditional c's note marginals P(v_i = 1) ~ sum_r w_r v_ri / sum_r w_r into out (nv from off). */
        public void marginals(int c, float[] out, int off) {
            double[] w = weights(c);
            double[] sum = new double[nv];
            for (int r = 0; r < runs; r++) for (int i = 0; i < nv; i++) sum[i] += w[r] * ends[(c * runs + r) * nv + i];
            for (int i = 0; i < nv; i++) out[off + i] = (float) sum[i];
        }

        /**
         * The expected accuracy ({@link dev.tessitura.model.ExpectedAccuracy}) of a frame drawn from conditional c
         * against the truth (nv from off): sum_r w_r acc(v_r) / sum_r w_r over its weighted end states.
         */
        public double expectedAccuracy(int c, float[] truth, int off) {
            double[] w = weights(c);
            double a = 0;
            for (int r = 0; r < runs; r++) a += w[r] * dev.tessitura.model.ExpectedAccuracy.of(truth, off, ends, (c * runs + r) * nv, nv);
            return a;
        }

        /** Conditional c's normalised weights w_r / sum w (computed as exp(logW - max)). */
        double[] weights(int c) {
            double max = Double.NEGATIVE_INFINITY, total = 0;
            for (int r = c * runs; r < (c + 1) * runs; r++) max = Math.max(max, logW[r]);
            double[] w = new double[runs];
            for (int r = 0; r < runs; r++) total += w[r] = Math.exp(logW[c * runs + r] - max);
            for (int r = 0; r < runs; r++) w[r] /= total;
            return w;
        }
    }

    /**
     * As {@link #logZ(Backend, Tensor, Tensor, Tensor, Tensor, int, Schedule, Rng)}, keeping every run's weight and
     * end state ({@link Runs}).
     */
    public static Runs run(Backend be, Tensor w, Tensor bv, Tensor bh, Tensor baseBv, int runs, Schedule schedule, Rng rng) {
        if (runs < 2) throw new IllegalArgumentException("ais: need at least 2 runs for an error estimate, got " + runs);
        int nv = w.rows(), nh = w.cols();
        int b = Math.max(bv.size() == nv ? 1 : bv.rows(), bh.size() == nh ? 1 : bh.rows());
        if (baseBv != null && baseBv.size() != nv) b = Math.max(b, baseBv.rows());
        boolean bvRow = Checks.bias("ais", bv, b, nv), bhRow = Checks.bias("ais", bh, b, nh);
        boolean baseRow = baseBv != null && Checks.bias("ais", baseBv, b, nv);
        int rows = b * runs;

        // biases expanded to one row per chain (R, n) where they differ between conditionals, else kept as vectors
        // a bias shared by all rows is a vector here, whether it came as (n) or (1, n) (one conditional, e.g. a
        // one-frame sequence)
        Tensor base = baseBv == null ? bv : baseBv;
        Tensor bvR, baseR;
        if (baseBv == null) {
            bvR = bvRow ? expand(be, bv, true, b, runs) : bv.reshape(nv);
            baseR = bvR;
        } else if (bvRow || baseRow) {                       // the interpolated visible bias is per row
            bvR = expand(be, bv, bvRow, b, runs);
            baseR = expand(be, baseBv, baseRow, b, runs);
        } else {
            bvR = bv.reshape(nv);
            baseR = baseBv.reshape(nv);
        }
        Tensor bhR = bhRow ? expand(be, bh, true, b, runs) : bh.reshape(nh);

        // log Z_A = sum_i softplus(a_i) + nh log 2 per conditional, from the base biases
        float[] a = be.toArray(base);
        boolean aRow = a.length != nv;
        double[] logZBase = new double[b];
        for (int c = 0; c < b; c++) {
            double s = nh * Math.log(2);
            for (int i = 0; i < nv; i++) s += ExactLogZ.softplus(a[(aRow ? c * nv : 0) + i]);
            logZBase[c] = s;
        }

        // v_0 ~ P_A(v) = bernoulli(sigmoid(a))
        Tensor v = be.zeros(rows, nv), p = be.zeros(rows, nv);  // (R, nv)
        if (baseR.size() == (long) rows * nv) {
            be.sigmoid(p, baseR);
        } else {
            be.addRowVector(p, p, baseR);
            be.sigmoid(p, p);
        }
        be.bernoulli(v, p, rng);

        // The intermediate RBM of beta: W beta, bh beta, bv (1 - beta) a + beta bv (or bv when the base is bv).
        // Its free energy F_beta(v) = -v.bv_beta - sum_j softplus(beta (v W + bh)_j), so one product x = v W + bh
        // per temperature serves both free energies of the weight and the hidden half of the Gibbs transition.
        boolean mix = baseBv != null;
        Tensor x = be.zeros(rows, nh), h = be.zeros(rows, nh), acc = be.zeros(rows), vp = be.zeros(rows, nv);
        double[] betas = schedule.betas();
        double[] logW = new double[rows];
        for (int k = 1; k < betas.length; k++) {
            float bp = (float) betas[k - 1], bc = (float) betas[k];
            // log w += log p*_k(v) - log p*_{k-1}(v) = F_{k-1}(v) - F_k(v)
            //        = sum_j softplus(bc x_j) - sum_j softplus(bp x_j) [+ (bc - bp)(v.bv - v.a) when bv is mixed],
            // x = v W + bh; and, before the last temperature, one Gibbs transition of the RBM of beta_k:
            // h = bernoulli(sigmoid(bc x)), then v = bernoulli(sigmoid(bc h W^T + bv_beta)), gibbsChain's draws
            boolean transition = k < betas.length - 1;
            be.gemm(x, v, false, w, false, 1f, 0f);
            be.aisHidden(acc, transition ? h : null, x, bhR, bp, bc, rng);
            if (transition) be.gemm(vp, h, false, w, true, bc, 0f);         // bc h W^T
            be.aisVisible(acc, v, transition ? vp : null, bvR, mix ? baseR : null, bp, bc, rng);
            if (k % FLUSH == 0 || k == betas.length - 1) {
                float[] part = be.toArray(acc);
                for (int r = 0; r < rows; r++) logW[r] += part[r];
                be.fill(acc, 0f);
            }
        }

        Estimate[] out = new Estimate[b];
        for (int c = 0; c < b; c++) out[c] = estimate(logW, c * runs, runs, logZBase[c]);
        return new Runs(out, logW, be.toArray(v), runs, nv);
    }

    /** (B, n) or (n) to (B M, n): row c of x (or x itself when shared) repeated M times. */
    private static Tensor expand(Backend be, Tensor x, boolean perRow, int b, int runs) {
        int n = x.cols();
        Tensor out = be.zeros(b * runs, n);
        for (int c = 0; c < b; c++) {
            Tensor block = out.slice(c * runs, (c + 1) * runs);
            be.addRowVector(block, block, perRow ? x.view((long) c * n, n) : x.reshape(n));
        }
        return out;
    }

    /** log-mean-exp of logW[from .. from + m) plus log Z_A, with the standard error and the +-3 sigma interval. */
    static Estimate estimate(double[] logW, int from, int m, double logZBase) {
        double max = Double.NEGATIVE_INFINITY;
        for (int r = from; r < from + m; r++) max = Math.max(max, logW[r]);
        double mean = 0;
        for (int r = from; r < from + m; r++) mean += Math.exp(logW[r] - max);
        mean /= m;
        double var = 0;
        for (int r = from; r < from + m; r++) {
            double d = Math.exp(logW[r] - max) - mean;
            var += d * d;
        }
        double sigma = Math.sqrt(var / (m - 1) / m);         // standard error of mean(r)
        double base = logZBase + max;
        double low = mean > 3 * sigma ? base + Math.log(mean - 3 * sigma) : Double.NEGATIVE_INFINITY;
        return new Estimate(base + Math.log(mean), sigma / mean, low, base + Math.log(mean + 3 * sigma), logZBase);
    }
}
