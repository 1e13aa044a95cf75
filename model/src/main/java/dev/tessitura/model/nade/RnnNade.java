package dev.tessitura.model.nade;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Init;
import dev.tessitura.model.Sizes;
import dev.tessitura.model.rnnrbm.LstmRecurrence;
import dev.tessitura.model.rnnrbm.Recurrence;
import dev.tessitura.model.rnnrbm.TanhRecurrence;
import dev.tessitura.model.rnnrbm.TimeBiases;
import java.util.ArrayList;
import java.util.List;

/**
 * The RNN-NADE (Boulanger-Lewandowski et al. 2012, sec. 5) on the engine; {@link RnnNadeReference} is its oracle. The
 * RNN-RBM's recurrence and time-dependent biases (its {@link TimeBiases}: bv(t) = bv + u(t-1) Wuv, bh(t) = bh +
 * u(t-1) Wuh, u(0) = 0) with a {@link Nade} as the distribution of each frame, so the cost -(1/T) sum_t log p(v(t) |
 * v(&lt;t)) and its gradient are exact. u(t) is the paper's tanh RNN (3), or an LSTM stack: the LSTM-NADE (with skip
 * connections u(t) is every layer's h, see {@link LstmRecurrence}). Training may drop out u(t-1) where it meets the
 * bias maps ({@link #forward(Tensor, int, int, Tensor)}).
 *
 * <p>One parameter tensor: the NADE part W (nv, nh), V (nh, nv), bv (nv), bh (nh), then Wuh (nu, nh), Wuv (nu, nv),
 * then the recurrence's (Wvu, Wuu, bu and u0, kept at 0; or per LSTM layer Wx, (Wi with skip,) Wh, b); the gradients
 * in a second tensor of the same layout.
 */
public final class RnnNade {
    public final int nv, nh, nu;
    private final Backend be;
    public final Tensor params, grads;
    public final Nade nade;
    public final Tensor Wuh, Wuv;
    /** bv(t), bh(t) from u(t-1), the recurrence that makes u(t), and the last forward pass's workspace. */
    public final TimeBiases biases;
    private final List<String> names = new ArrayList<>();
    private final List<Tensor> paramViews = new ArrayList<>(), gradViews = new ArrayList<>();

    private int capacity = -1;
    private Tensor dBv, dBh;        // (T B, nv), (T B, nh): d cost / d bv(t), d bh(t)
    private Tensor zeroV, dVScratch;  // (nh, nv): RNN pretraining's V = 0 and where its unused dV goes

    /** The paper's RNN-NADE: nu recurrent tanh units. */
    public RnnNade(Backend backend, int nv, int nh, int nu) {
        this(backend, nv, nh, nu, null, false);
    }

    /** The LSTM-NADE: u(t) is the top h of an LSTM stack with these layer sizes over v(1..t). */
    public RnnNade(Backend backend, int nv, int nh, int[] lstmLayers) {
        this(backend, nv, nh, lstmLayers, false);
    }

    /** The LSTM-NADE, with skip connections where {@code skip}: v(t) feeds every layer, u(t) is every layer's h. */
    public RnnNade(Backend backend, int nv, int nh, int[] lstmLayers, boolean skip) {
        this(backend, nv, nh, skip ? java.util.Arrays.stream(lstmLayers).sum() : lstmLayers[lstmLayers.length - 1], lstmLayers.clone(), skip);
    }

    private RnnNade(Backend backend, int nv, int nh, int nu, int[] lstmLayers, boolean skip) {
        this.be = backend;
        this.nv = nv;
        this.nh = nh;
        this.nu = nu;
        String kind = lstmLayers == null ? "rnn-nade" : "lstm-nade";
        long frame = Nade.size(nv, nh), maps = (long) nu * nh + (long) nu * nv;
        long rec = lstmLayers == null ? TanhRecurrence.size(nv, nu) : LstmRecurrence.size(nv, lstmLayers, skip);
        int size = Sizes.parameters(be, kind, frame + maps + rec);
        params = be.zeros(size);
        grads = be.zeros(size);
        nade = new Nade(be, nv, nh, params, grads);
        Wuh = params.view(frame, nu, nh);
        Wuv = params.view(frame + (long) nu * nh, nu, nv);
        Tensor gWuh = grads.view(frame, nu, nh), gWuv = grads.view(frame + (long) nu * nh, nu, nv);
        long at = frame + maps;
        Tensor recParams = params.view(at, Math.toIntExact(rec)), recGrads = grads.view(at, Math.toIntExact(rec));
        Recurrence recurrence;
        if (lstmLayers == null) {
            TanhRecurrence tanh = new TanhRecurrence(be, nv, nu, recParams, recGrads);
            tanh.learnU0(false);                                         // u(0) = 0, as in the paper
            recurrence = tanh;
        } else {
            recurrence = new LstmRecurrence(be, nv, lstmLayers, skip, recParams, recGrads);
        }
        biases = new TimeBiases(be, kind, recurrence, nade.bv, nade.bh, Wuh, Wuv, nade.gBv, nade.gBh, gWuh, gWuv);
        for (String n : Nade.NAMES) add(n, nade.param(n), nade.grad(n));
        add("Wuh", Wuh, gWuh);
        add("Wuv", Wuv, gWuv);
        for (String n : recurrence.names()) add(n, recurrence.param(n), recurrence.grad(n));
    }

    private void add(String name, Tensor p, Tensor g) {
        names.add(name);
        paramViews.add(p);
        gradViews.add(g);
    }

    /** The parameter names in storage order, as checkpoints and the fixtures name them. */
    public List<String> names() {
        return List.copyOf(names);
    }

    public Tensor param(String name) {
        return paramViews.get(index(name));
    }

    public Tensor grad(String name) {
        return gradViews.get(index(name));
    }

    private int index(String name) {
        int i = names.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("rnn-nade: no parameter " + name + " (has " + String.join(", ", names) + ")");
        return i;
    }

    /** The LSTM layer sizes, or null for the paper's tanh recurrence. */
    public int[] lstmLayers() {
        return biases.recurrence instanceof LstmRecurrence l ? l.layers() : null;
    }

    /** Whether the LSTM has skip connections. */
    public boolean skip() {
        return biases.recurrence instanceof LstmRecurrence l && l.skip();
    }

    public Backend backend() {
        return be;
    }

    /** The NADE part (W, V, bv, bh) and the RNN part (the rest) as ranges of {@link #params}: {offset, length}. */
    public long[] nadeBlock() {
        return new long[] {0, Nade.size(nv, nh)};
    }

    public long[] rnnBlock() {
        long frame = Nade.size(nv, nh);
        return new long[] {frame, params.size() - frame};
    }

    /**
     * The RNN-RBM tutorial's scales: W, V ~ N(0, 0.01^2), Wuh, Wuv and the tanh recurrence's matrices ~ N(0, 0.0001^2),
     * biases zero (the LSTM's weights N(0, 0.01^2)); normals from Philox stream (seed, 0).
     */
    public void init(long seed) {
        Init.normal(be, params, 1.0, seed);
        be.scale(nade.W, 0.01f);
        be.scale(nade.V, 0.01f);
        be.scale(Wuh, 0.0001f);
        be.scale(Wuv, 0.0001f);
        be.fill(nade.bv, 0f);
        be.fill(nade.bh, 0f);
        biases.recurrence.initTutorial();
    }

    /**
     * u(t) and the biases bv(t), bh(t) of B chunks v (T B, nv), time-major (frame t of chunk b in row t B + b), each
     * chunk from u(0) = 0. Returns u ((T+1) B, nu).
     */
    public Tensor forward(Tensor v, int steps, int batch) {
        return forward(v, steps, batch, null);
    }

    /**
     * As {@link #forward(Tensor, int, int)}, in training with dropout where {@code mask} is not null: the biases read
     * m(t-1) * u(t-1), m (T B, nu) holding 0 for a dropped unit and 1 / (1 - P) for a kept one (inverted dropout: the
     * expected input of the bias maps is unchanged, so evaluation uses u as it is); the backward pass uses the same m.
     * With skip connections m is laid out as u is, layer by layer ({@link TimeBiases#forward(Tensor, int, int, Tensor)}).
     */
    public Tensor forward(Tensor v, int steps, int batch, Tensor mask) {
        Tensor u = biases.forward(v, steps, batch, mask);
        int rows = steps * batch;
        if (rows > capacity) {
            capacity = rows;
            dBv = be.zeros(rows, nv);
            dBh = be.zeros(rows, nh);
        }
        return u;
    }

    /** log p(v(t) | v(&lt;t)) (T B) of the last {@link #forward}'s frames v, valid until the next call. */
    public Tensor logLikelihoods(Tensor v, int steps) {
        biases.rows(steps);
        return nade.logLikelihoods(v, biases.visibleBiases(steps), biases.hiddenBiases(steps));
    }

    /**
     * The cost -(1/(T B)) sum_t log p(v(t) | v(&lt;t)) of the last forward into cost (1), and its gradient with respect
     * to every parameter, ACCUMULATED into {@link #grads}: the NADE's backward pass gives W, V and d/d bv(t), bh(t),
     * which reach bv, bh, the bias maps and, by backpropagation through time, the recurrence.
     */
    public void costAndGradients(Tensor v, int steps, Tensor cost) {
        int rows = biases.rows(steps);
        Tensor dbv = dBv.slice(0, rows), dbh = dBh.slice(0, rows);
        be.fill(dbv, 0f);
        be.fill(dbh, 0f);
        nade.costAndGradients(v, biases.visibleBiases(steps), biases.hiddenBiases(steps), dbv, dbh, 1f / rows, cost);
        biases.backward(v, dbv, dbh, steps);
    }

    /**
     * RNN pretraining's cost and gradients for the last forward: the RNN-NADE with V = 0, whose frames are independent
     * notes P(v_j(t) = 1 | v(&lt;t)) = sigmoid(bv_j(t)), the RNN alone as a next-frame predictor with the cross-entropy
     * cost. Only bv, Wuv and the recurrence get gradients (W's and bh's are 0 with V = 0; V's is dropped).
     */
    public void predictorCostAndGradients(Tensor v, int steps, Tensor cost) {
        int rows = biases.rows(steps);
        if (zeroV == null) {
            zeroV = be.zeros(nh, nv);
            dVScratch = be.zeros(nh, nv);
        }
        Tensor dbv = dBv.slice(0, rows), dbh = dBh.slice(0, rows);
        be.fill(dbv, 0f);
        be.fill(dbh, 0f);
        be.fill(dVScratch, 0f);
        nade.costAndGradients(v, zeroV, dVScratch, biases.visibleBiases(steps), biases.hiddenBiases(steps), dbv, dbh, 1f / rows, cost);
        biases.backward(v, dbv, null, steps);
    }

    public void zeroGrads() {
        be.fill(grads, 0f);
    }
}
