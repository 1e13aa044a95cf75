package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Init;
import dev.tessitura.model.Sizes;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation;
import java.util.ArrayList;
import java.util.List;

/**
 * The RNN-RBM of Boulanger-Lewandowski, Bengio and Vincent (ICML 2012) on any backend; the equations are those of
 * {@link RnnRbmReference}, which tests this class. The same class is the LSTM-RBM (Lyu et al. 2015): the RBM part
 * (W, bv, bh and the bias maps Wuv, Wuh) is shared, only the {@link Recurrence} that makes u(t) from v(1..t) differs:
 * (3) {@code u(t) = tanh(bu + v(t) Wvu + u(t-1) Wuu)}, or u(t) = the top h of an LSTM stack over v(1..t). A chunk of T frames is processed as batched products wherever
 * the recurrence allows: the time-dependent biases of all steps are two GEMMs over the T previous states, the
 * negative samples of all steps come from one batched Gibbs chain with per-row biases, and only u(t)'s recurrence
 * and its backpropagation step through time one row at a time.
 *
 * <p>All parameters live in one tensor with views W (nv, nh), bv (nv), bh (nh), Wuh (nu, nh), Wuv (nu, nv), then
 * the recurrence's: Wvu (nv, nu), Wuu (nu, nu), bu (nu), u0 (nu), or per LSTM layer Wx (in, 4H), Wh (H, 4H), b (4H);
 * the gradients in a second tensor of the same layout.
 */
public final class RnnRbm implements ConditionalRbmEvaluation.ConditionalRbms {
    public final int nv, nh, nu;
    private final Backend be;
    public final Tensor params, grads;
    public final Tensor W, bv, bh, Wuh, Wuv;
    private final Tensor gW, gBv, gBh, gWuh, gWuv;
    /** What makes u(t): the tanh RNN of the paper, or an LSTM stack. */
    final Recurrence recurrence;
    /** bv(t), bh(t) from u(t-1), and the workspace of the last forward. */
    final TimeBiases biases;
    private final String[] names;
    private final Tensor[] paramViews, gradViews;

    // workspace for B chunks of T frames, time-major (step t of chunk b is row t B + b), reallocated when they grow
    private int capacity = -1;
    private Tensor vNeg;          // (T B, nv): the negative samples
    private Tensor f, fNeg;       // (T B): free energies of the data and of the negative samples
    private Tensor costOut;       // (1): the cost of the costAndGradients that waits for it
    private Tensor dBv, dBh;      // (T B, nv), (T B, nh): d cost / d bv(t), d bh(t)

    /** The paper's RNN-RBM: nu recurrent tanh units. */
    public RnnRbm(Backend backend, int nv, int nh, int nu) {
        this(backend, nv, nh, nu, null);
    }

    /** The LSTM-RBM: u(t) is the top h of an LSTM stack with these layer sizes over v(1..t). */
    public RnnRbm(Backend backend, int nv, int nh, int[] lstmLayers) {
        this(backend, nv, nh, lstmLayers[lstmLayers.length - 1], lstmLayers.clone(), false);
    }

    /** The RTRBM: u(t) is the RBM's own mean hidden activation given v(t) ({@link RtrbmRecurrence}), nu = nh. */
    public static RnnRbm rtrbm(Backend backend, int nv, int nh) {
        return new RnnRbm(backend, nv, nh, nh, null, true);
    }

    private RnnRbm(Backend backend, int nv, int nh, int nu, int[] lstmLayers) {
        this(backend, nv, nh, nu, lstmLayers, false);
    }

    private RnnRbm(Backend backend, int nv, int nh, int nu, int[] lstmLayers, boolean rtrbm) {
        this.be = backend;
        this.nv = nv;
        this.nh = nh;
        this.nu = nu;
        int[][] shapes = {{nv, nh}, {nv}, {nh}, {nu, nh}, {nu, nv}};
        long rbm = 0;
        for (int[] s : shapes) rbm += s.length == 1 ? s[0] : (long) s[0] * s[1];
        long rec = rtrbm ? 0 : lstmLayers == null ? TanhRecurrence.size(nv, nu) : LstmRecurrence.size(nv, lstmLayers);
        int size = Sizes.parameters(be, rtrbm ? "rtrbm" : lstmLayers == null ? "rnn-rbm" : "lstm-rbm", rbm + rec);
        params = be.zeros(size);
        grads = be.zeros(size);
        Tensor[] p = new Tensor[5], g = new Tensor[5];
        long at = 0;
        for (int i = 0; i < 5; i++) {
            p[i] = params.view(at, shapes[i]);
            g[i] = grads.view(at, shapes[i]);
            at += p[i].size();
        }
        W = p[0]; bv = p[1]; bh = p[2]; Wuh = p[3]; Wuv = p[4];
        gW = g[0]; gBv = g[1]; gBh = g[2]; gWuh = g[3]; gWuv = g[4];
        if (rtrbm) {
            recurrence = new RtrbmRecurrence(be, W, bh, Wuh, gW, gBh, gWuh);
        } else {
            Tensor recParams = params.view(at, Math.toIntExact(rec)), recGrads = grads.view(at, Math.toIntExact(rec));
            recurrence = lstmLayers == null ? new TanhRecurrence(be, nv, nu, recParams, recGrads)
                    : new LstmRecurrence(be, nv, lstmLayers, recParams, recGrads);
        }
        biases = new TimeBiases(be, rtrbm ? "rtrbm" : lstmLayers == null ? "rnn-rbm" : "lstm-rbm", recurrence, bv, bh, Wuh, Wuv,
                gBv, gBh, gWuh, gWuv);
        List<String> n = new ArrayList<>(List.of("W", "bv", "bh", "Wuh", "Wuv"));
        List<Tensor> pv = new ArrayList<>(List.of(p)), gv = new ArrayList<>(List.of(g));
        n.addAll(recurrence.names());
        for (String name : recurrence.names()) {
            pv.add(recurrence.param(name));
            gv.add(recurrence.grad(name));
        }
        names = n.toArray(String[]::new);
        paramViews = pv.toArray(Tensor[]::new);
        gradViews = gv.toArray(Tensor[]::new);
    }

    /** The parameter names in storage order, as checkpoints and the fixtures name them. */
    public String[] names() {
        return names.clone();
    }

    /** The RNN-RBM's names: W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu, u0. */
    public static final String[] NAMES = {"W", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu", "u0"};

    /**
     * Whether u(0) of the tanh recurrence is learned (the default here, so that the gradients are all of them) or
     * fixed at 0 (the trainer's default: then its gradient is 0). The LSTM-RBM's u(0) is always the LSTM's zero state.
     */
    public void learnU0(boolean learn) {
        if (recurrence instanceof TanhRecurrence t) t.learnU0 = learn;
    }

    /** The LSTM layer sizes, or null for the paper's tanh recurrence. */
    public int[] lstmLayers() {
        return recurrence instanceof LstmRecurrence l ? l.layers() : null;
    }

    public Tensor param(String name) {
        return pick(name, paramViews);
    }

    public Tensor grad(String name) {
        return pick(name, gradViews);
    }

    private Tensor pick(String name, Tensor[] ts) {
        for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return ts[i];
        throw new IllegalArgumentException("rnn-rbm: no parameter " + name + " (has " + String.join(", ", names) + ")");
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
     * ~ N(0, 0.0001^2), biases and u(0) zero; normals from Philox stream (seed, 0) by Box-Muller. The LSTM-RBM's
     * LSTM weights ~ N(0, 0.01^2) (large enough for its gates to pass a signal), its biases zero.
     */
    public void initTutorial(long seed) {
        Init.normal(be, params, 1.0, seed);
        be.scale(W, 0.01f);
        for (Tensor t : new Tensor[] {Wuh, Wuv}) be.scale(t, 0.0001f);
        for (Tensor t : new Tensor[] {bv, bh}) be.fill(t, 0f);
        recurrence.initTutorial();
    }

    /** Room for {@code rows} = T B frames. */
    private void workspace(int rows) {
        if (rows > capacity) {
            capacity = rows;
            vNeg = be.zeros(rows, nv);
            f = be.zeros(rows);
            fNeg = be.zeros(rows);
            dBv = be.zeros(rows, nv);
            dBh = be.zeros(rows, nh);
        }
    }

    /**
     * The recurrence over a chunk v (T, nv): u(t) for t = 1..T from u(0), and the biases bv(t), bh(t) of every step
     * from u(t-1) (1), (2). Leaves them in the workspace; returns u (T+1, nu) (row 0 is u(0)).
     */
    public Tensor forward(Tensor v, int steps) {
        return forward(v, steps, 1);
    }

    /**
     * {@link #forward(Tensor, int)} for B = {@code batch} chunks of T frames at once, time-major: v (T B, nv) with
     * frame t of chunk b in row t B + b (as the LSTM takes its minibatches). Each chunk starts from u(0); the chunks
     * never meet, so every row-wise result is the one the chunk would get alone, and the batch's cost and gradients
     * (the per-frame means over all T B frames) are those of one update on the B chunks. Returns u ((T+1) B, nu).
     */
    public Tensor forward(Tensor v, int steps, int batch) {
        Tensor u = biases.forward(v, steps, batch);
        workspace(steps * batch);
        return u;
    }

    public Backend backend() { return be; }

    @Override public int nv() { return nv; }

    @Override public int nh() { return nh; }

    @Override public Tensor W() { return W; }

    /** The conditional RBMs' biases of one sequence: {@link #forward}, then bv(t) and bh(t) copied out. */
    @Override
    public void biases(Tensor v, int steps, Tensor bvOut, Tensor bhOut) {
        forward(v, steps);
        be.copy(bvOut, visibleBiases(steps));
        be.copy(bhOut, hiddenBiases(steps));
    }

    /** bv(t) (T B, nv) and bh(t) (T B, nh) of the last {@link #forward}. */
    public Tensor visibleBiases(int steps) {
        return biases.visibleBiases(steps);
    }

    public Tensor hiddenBiases(int steps) {
        return biases.hiddenBiases(steps);
    }

    /** T B: the rows of the last forward, which must have been of T steps. */
    private int requireForward(int steps) {
        return biases.rows(steps);
    }

    /**
     * Negative samples for the last forward: a CD-k chain for all T conditional RBMs at once, started at the data,
     * each row with its own biases. Returns v~ (T B, nv), valid until the next call.
     */
    public Tensor sampleNegatives(Tensor v, int steps, int k, Rng rng) {
        int rows = requireForward(steps);
        Tensor neg = vNeg.slice(0, rows);
        be.copy(neg, v);
        be.gibbsChain(neg, null, W, visibleBiases(steps), hiddenBiases(steps), k, rng);
        return neg;
    }

    /**
     * The cost sum_t [F_t(v(t)) - F_t(v~(t))] / T of the last forward with negative samples {@code neg} (over a
     * batch: summed over all T B frames, / T B), and its gradient with respect to every parameter, ACCUMULATED into
     * {@link #grads}. The negative samples are constants (the paper's and the tutorial's cost). Waits for the cost.
     */
    public double costAndGradients(Tensor v, Tensor neg, int steps) {
        if (costOut == null) costOut = be.zeros(1);
        costAndGradients(v, neg, steps, costOut);
        return be.toArray(costOut)[0];
    }

    /**
     * {@link #costAndGradients(Tensor, Tensor, int)} without waiting: the cost goes to {@code cost} (one element),
     * where it stays until the caller reads it, so that a GPU can run on into the next update.
     */
    public void costAndGradients(Tensor v, Tensor neg, int steps, Tensor cost) {
        int rows = requireForward(steps);
        Tensor bvt = visibleBiases(steps), bht = hiddenBiases(steps), fs = f.slice(0, rows), fn = fNeg.slice(0, rows);
        float inv = 1f / rows;                                          // per frame, over all B chunks
        be.freeEnergy(fs, v, W, bvt, bht);
        be.freeEnergy(fn, neg, W, bvt, bht);
        be.sub(fs, fs, fn);
        be.rowSums(cost.reshape(1), fs.reshape(1, rows), inv, 0f);      // summed in float64, then / T B

        // RBM terms: dF/dW = -x^T sigmoid(x W + bh(t)), dF/dbv(t) = -x, dF/dbh(t) = -sigmoid(...)
        Tensor dbv = dBv.slice(0, rows), dbh = dBh.slice(0, rows);
        be.fill(dbv, 0f);
        be.fill(dbh, 0f);
        be.freeEnergyGrad(gW, dbv, dbh, v, W, bht, inv);
        be.freeEnergyGrad(gW, dbv, dbh, neg, W, bht, -inv);
        biases.backward(v, dbv, dbh, steps);
    }

    /**
     * RNN pretraining's cost for the last forward: the RNN part alone as a next-frame predictor, i.e. the RNN-RBM with
     * W = 0, whose conditional is a product of independent notes P(v_j(t) = 1 | v(<t)) = sigmoid(bv_j(t)). Its exact
     * negative log-likelihood per frame, sum_t sum_j [softplus(bv_j(t)) - v_j(t) bv_j(t)] / T. Uses the negative
     * samples' buffer as scratch.
     */
    public double predictorCost(Tensor v, int steps) {
        int rows = requireForward(steps);
        Tensor bvt = visibleBiases(steps), nll = dBv.slice(0, rows), vb = vNeg.slice(0, rows);
        be.softplus(nll, bvt);
        be.mul(vb, v, bvt);
        be.sub(nll, nll, vb);
        return be.sum(nll) / rows;
    }

    /**
     * {@link #predictorCost} and its gradient, ACCUMULATED into {@link #grads}: d/d bv(t) = (sigmoid(bv(t)) - v(t)) / T
     * reaches bv, Wuv and the recurrence; W, bh and Wuh get nothing.
     */
    public double predictorCostAndGradients(Tensor v, int steps) {
        double cost = predictorCost(v, steps);
        int rows = requireForward(steps);
        Tensor dbv = dBv.slice(0, rows);
        be.sigmoid(dbv, visibleBiases(steps));
        be.sub(dbv, dbv, v);
        be.scale(dbv, 1f / rows);
        biases.backward(v, dbv, null, steps);
        return cost;
    }

    public void zeroGrads() {
        be.fill(grads, 0f);
    }
}
