package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/**
 * The RNN-RBM of Boulanger-Lewandowski, Bengio and Vincent (ICML 2012) on any backend; the equations are those of
 * {@link RnnRbmReference}, which tests this class. A chunk of T frames is processed as batched products wherever
 * the recurrence allows: the time-dependent biases of all steps are two GEMMs over the T previous states, the
 * negative samples of all steps come from one batched Gibbs chain with per-row biases, and only u(t)'s recurrence
 * and its backpropagation step through time one row at a time.
 *
 * <p>All parameters live in one tensor with views W (nv, nh), bv (nv), bh (nh), Wuh (nu, nh), Wuv (nu, nv),
 * Wvu (nv, nu), Wuu (nu, nu), bu (nu), u0 (nu); the gradients in a second tensor of the same layout.
 */
public final class RnnRbm {
    public final int nv, nh, nu;
    private final Backend be;
    public final Tensor params, grads;
    public final Tensor W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu, u0;
    private final Tensor gW, gBv, gBh, gWuh, gWuv, gWvu, gWuu, gBu, gU0;

    // workspace for a chunk of T frames, reallocated when T grows
    private int capacity = -1;
    private int forwardSteps = -1;  // T of the last forward: what the workspace holds
    private Tensor uAll;          // (T+1, nu): u(0) .. u(T)
    private Tensor bvT, bhT;      // (T, nv), (T, nh): bv(t), bh(t)
    private Tensor vNeg;          // (T, nv): the negative samples
    private Tensor f;             // (T): free energies
    private Tensor dBv, dBh;      // (T, nv), (T, nh): d cost / d bv(t), d bh(t)
    private Tensor dU, dA;        // (T+1, nu), (T, nu): d cost / d u(t), d cost / d (pre-activation of u(t))
    private final Tensor eye;     // (nu, nu): the identity, to form WuuT with one GEMM on any backend
    private final Tensor WuuT;    // (nu, nu): Wuu^T for BPTT's row-by-row products

    public RnnRbm(Backend backend, int nv, int nh, int nu) {
        this.be = backend;
        this.nv = nv;
        this.nh = nh;
        this.nu = nu;
        int[][] shapes = {{nv, nh}, {nv}, {nh}, {nu, nh}, {nu, nv}, {nv, nu}, {nu, nu}, {nu}, {nu}};
        long total = 0;
        for (int[] s : shapes) total += s.length == 1 ? s[0] : (long) s[0] * s[1];
        params = be.zeros(Math.toIntExact(total));
        grads = be.zeros(Math.toIntExact(total));
        Tensor[] p = new Tensor[9], g = new Tensor[9];
        long at = 0;
        for (int i = 0; i < 9; i++) {
            p[i] = params.view(at, shapes[i]);
            g[i] = grads.view(at, shapes[i]);
            at += p[i].size();
        }
        W = p[0]; bv = p[1]; bh = p[2]; Wuh = p[3]; Wuv = p[4]; Wvu = p[5]; Wuu = p[6]; bu = p[7]; u0 = p[8];
        gW = g[0]; gBv = g[1]; gBh = g[2]; gWuh = g[3]; gWuv = g[4]; gWvu = g[5]; gWuu = g[6]; gBu = g[7]; gU0 = g[8];
        float[] id = new float[nu * nu];
        for (int k = 0; k < nu; k++) id[k * nu + k] = 1f;
        eye = be.of(id, nu, nu);
        WuuT = be.zeros(nu, nu);
    }

    /** The parameter names in storage order, as checkpoints and the fixtures name them. */
    public static final String[] NAMES = {"W", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu", "u0"};

    public Tensor param(String name) {
        return pick(name, new Tensor[] {W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu, u0});
    }

    public Tensor grad(String name) {
        return pick(name, new Tensor[] {gW, gBv, gBh, gWuh, gWuv, gWvu, gWuu, gBu, gU0});
    }

    private static Tensor pick(String name, Tensor[] ts) {
        for (int i = 0; i < NAMES.length; i++) if (NAMES[i].equals(name)) return ts[i];
        throw new IllegalArgumentException("rnn-rbm: no parameter " + name);
    }

    /** The RBM part (W, bv, bh) and the RNN part (the rest) as ranges of {@link #params}: {offset, length}. */
    public long[] rbmBlock() {
        return new long[] {0, W.size() + bv.size() + bh.size()};
    }

    public long[] rnnBlock() {
        long rbm = rbmBlock()[1];
        return new long[] {rbm, params.size() - rbm};
    }

    /**
     * The tutorial's initialisation (deeplearning.net rnnrbm.py, build_rnnrbm: {@code W = shared_normal(n_visible,
     * n_hidden, 0.01)}, {@code Wuh, Wuv, Wvu, Wuu = shared_normal(..., 0.0001)}, biases shared_zeros, where
     * shared_normal draws numpy.random.normal(scale=...)): W ~ N(0, 0.01^2), the four recurrent matrices
     * ~ N(0, 0.0001^2), biases and u(0) zero; normals from Philox stream (seed, 0) by Box-Muller.
     */
    public void initTutorial(long seed) {
        int n = Math.toIntExact(params.size());
        float[] u = new float[n + (n & 1)], p = new float[n];
        Philox.uniforms(seed, 0, 0, u, 0, u.length);
        for (int i = 0; i + 1 < u.length; i += 2) {
            double r = Math.sqrt(-2 * Math.log(1 - u[i])), a = 2 * Math.PI * u[i + 1];
            p[i] = (float) (r * Math.cos(a));
            if (i + 1 < n) p[i + 1] = (float) (r * Math.sin(a));
        }
        be.copyFromHost(params, p, 0);
        be.scale(W, 0.01f);
        for (Tensor t : new Tensor[] {Wuh, Wuv, Wvu, Wuu}) be.scale(t, 0.0001f);
        for (Tensor t : new Tensor[] {bv, bh, bu, u0}) be.fill(t, 0f);
    }

    private void workspace(int steps) {
        if (steps <= capacity) return;
        capacity = steps;
        uAll = be.zeros(steps + 1, nu);
        bvT = be.zeros(steps, nv);
        bhT = be.zeros(steps, nh);
        vNeg = be.zeros(steps, nv);
        f = be.zeros(steps);
        dBv = be.zeros(steps, nv);
        dBh = be.zeros(steps, nh);
        dU = be.zeros(steps + 1, nu);
        dA = be.zeros(steps, nu);
    }

    /**
     * The recurrence over a chunk v (T, nv): u(t) for t = 1..T from u(0) = u0 (3), and the biases bv(t), bh(t) of
     * every step from u(t-1) (1), (2). Leaves them in the workspace; returns u (T+1, nu) (row 0 is u(0)).
     */
    public Tensor forward(Tensor v, int steps) {
        if (steps < 1 || v.rank() != 2 || v.dim(0) != steps || v.dim(1) != nv) {
            throw new IllegalArgumentException("rnn-rbm: forward needs a chunk v of shape (T, nv) = (" + steps + ", " + nv
                    + "), got " + java.util.Arrays.toString(v.shape()));
        }
        workspace(steps);
        forwardSteps = steps;
        Tensor u = uAll.slice(0, steps + 1), uPrev = uAll.slice(0, steps), uNext = uAll.slice(1, steps + 1);
        be.copy(u.at(0), u0);
        // a(t) = bu + v(t) Wvu for all t at once, then + u(t-1) Wuu step by step, u(t) = tanh(a(t))
        be.gemm(uNext, v, false, Wvu, false, 1f, 0f);
        be.addRowVector(uNext, uNext, bu);
        for (int t = 1; t <= steps; t++) {
            Tensor ut = u.slice(t, t + 1);
            be.gemm(ut, u.slice(t - 1, t), false, Wuu, false, 1f, 1f);
            be.tanh(ut, ut);
        }
        Tensor bvt = bvT.slice(0, steps), bht = bhT.slice(0, steps);
        be.gemm(bvt, uPrev, false, Wuv, false, 1f, 0f);                 // (1) bv(t) = bv + u(t-1) Wuv
        be.addRowVector(bvt, bvt, bv);
        be.gemm(bht, uPrev, false, Wuh, false, 1f, 0f);                 // (2) bh(t) = bh + u(t-1) Wuh
        be.addRowVector(bht, bht, bh);
        return u;
    }

    /** bv(t) (T, nv) and bh(t) (T, nh) of the last {@link #forward}. */
    public Tensor visibleBiases(int steps) {
        requireForward(steps);
        return bvT.slice(0, steps);
    }

    public Tensor hiddenBiases(int steps) {
        requireForward(steps);
        return bhT.slice(0, steps);
    }

    /** The workspace holds bv(t), bh(t) and u(t) of one chunk only: the last one given to {@link #forward}. */
    private void requireForward(int steps) {
        if (steps != forwardSteps) {
            throw new IllegalStateException("rnn-rbm: asked about a chunk of " + steps + " frames, but "
                    + (forwardSteps < 0 ? "forward(v, T) has not run" : "the last forward(v, T) had T = " + forwardSteps)
                    + "; call forward on this chunk first");
        }
    }

    /**
     * Negative samples for the last forward: a CD-k chain for all T conditional RBMs at once, started at the data,
     * each row with its own biases. Returns v~ (T, nv), valid until the next call.
     */
    public Tensor sampleNegatives(Tensor v, int steps, int k, Rng rng) {
        requireForward(steps);
        Tensor neg = vNeg.slice(0, steps);
        be.copy(neg, v);
        be.gibbsChain(neg, null, W, bvT.slice(0, steps), bhT.slice(0, steps), k, rng);
        return neg;
    }

    /**
     * The cost sum_t [F_t(v(t)) - F_t(v~(t))] / T of the last forward with negative samples {@code neg}, and its
     * gradient with respect to every parameter, ACCUMULATED into {@link #grads}. The negative samples are constants
     * (the paper's and the tutorial's cost).
     */
    public double costAndGradients(Tensor v, Tensor neg, int steps) {
        requireForward(steps);
        Tensor bvt = bvT.slice(0, steps), bht = bhT.slice(0, steps), fs = f.slice(0, steps);
        Tensor u = uAll.slice(0, steps + 1), uPrev = uAll.slice(0, steps);
        float inv = 1f / steps;
        be.freeEnergy(fs, v, W, bvt, bht);
        double cost = be.sum(fs);
        be.freeEnergy(fs, neg, W, bvt, bht);
        cost = (cost - be.sum(fs)) / steps;

        // RBM terms: dF/dW = -x^T sigmoid(x W + bh(t)), dF/dbv(t) = -x, dF/dbh(t) = -sigmoid(...)
        Tensor dbv = dBv.slice(0, steps), dbh = dBh.slice(0, steps);
        be.fill(dbv, 0f);
        be.fill(dbh, 0f);
        be.freeEnergyGrad(gW, dbv, dbh, v, W, bht, inv);
        be.freeEnergyGrad(gW, dbv, dbh, neg, W, bht, -inv);
        be.columnSums(gBv, dbv, 1f, 1f);
        be.columnSums(gBh, dbh, 1f, 1f);
        // (1), (2): dWuv += u(t-1)^T dbv(t), dWuh += u(t-1)^T dbh(t), d u(t-1) = dbv(t) Wuv^T + dbh(t) Wuh^T
        be.gemm(gWuv, uPrev, true, dbv, false, 1f, 1f);
        be.gemm(gWuh, uPrev, true, dbh, false, 1f, 1f);
        Tensor du = dU.slice(0, steps + 1), da = dA.slice(0, steps);
        be.fill(du.at(steps), 0f);
        be.gemm(du.slice(0, steps), dbv, false, Wuv, true, 1f, 0f);
        be.gemm(du.slice(0, steps), dbh, false, Wuh, true, 1f, 1f);
        // (3) backwards in time: da(t) = du(t) (1 - u(t)^2), du(t-1) += da(t) Wuu^T. Wuu^T is formed once (exactly:
        // I Wuu^T adds only zeros): a transposed operand would be repacked by each of the T products (6x slower on SIMD)
        be.gemm(WuuT, eye, false, Wuu, true, 1f, 0f);
        for (int t = steps; t >= 1; t--) {
            Tensor dat = da.slice(t - 1, t);
            be.tanhBackward(dat, du.slice(t, t + 1), u.slice(t, t + 1));
            be.gemm(du.slice(t - 1, t), dat, false, WuuT, false, 1f, 1f);
        }
        be.gemm(gWuu, uPrev, true, da, false, 1f, 1f);                  // dWuu += u(t-1)^T da(t)
        be.gemm(gWvu, v, true, da, false, 1f, 1f);                      // dWvu += v(t)^T da(t)
        be.columnSums(gBu, da, 1f, 1f);                                 // dbu += sum_t da(t)
        be.axpy(gU0, du.at(0), 1f);                                     // d u(0), used when u(0) is learned
        return cost;
    }

    public void zeroGrads() {
        be.fill(grads, 0f);
    }
}
