package dev.tessitura.model.nade;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.List;

/**
 * A NADE over frames of nv notes (the engine version of {@link NadeReference}, which is its oracle): W (nv, nh),
 * V (nh, nv), bv (nv), bh (nh) as views of a parameter tensor, gradients as views of a gradient tensor of the same
 * layout. The frame model of the RNN-NADE (then every frame has its own biases bv(t), bh(t)) and, alone, the paper's
 * "NADE" row (shared biases).
 */
public final class Nade {
    /** The parameters' names in storage order, as checkpoints and the fixtures name them. */
    public static final List<String> NAMES = List.of("W", "V", "bv", "bh");

    public final int nv, nh;
    private final Backend be;
    public final Tensor W, V, bv, bh;
    final Tensor gW, gV, gBv, gBh;
    private Tensor logp, p;        // (rows), (rows, nv): the last forward pass's log-likelihoods and conditionals

    /** W, V, bv, bh: nv nh + nh nv + nv + nh values. */
    public static long size(int nv, int nh) {
        return 2L * nv * nh + nv + nh;
    }

    /** Over the first {@link #size} elements of params and grads. */
    public Nade(Backend be, int nv, int nh, Tensor params, Tensor grads) {
        this.be = be;
        this.nv = nv;
        this.nh = nh;
        long at = 0;
        W = params.view(at, nv, nh); gW = grads.view(at, nv, nh); at += (long) nv * nh;
        V = params.view(at, nh, nv); gV = grads.view(at, nh, nv); at += (long) nh * nv;
        bv = params.view(at, nv); gBv = grads.view(at, nv); at += nv;
        bh = params.view(at, nh); gBh = grads.view(at, nh);
    }

    public Tensor param(String name) {
        return pick(name, W, V, bv, bh);
    }

    public Tensor grad(String name) {
        return pick(name, gW, gV, gBv, gBh);
    }

    private static Tensor pick(String name, Tensor... ts) {
        int i = NAMES.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("nade: no parameter " + name);
        return ts[i];
    }

    /** Room for the log-likelihoods and conditionals of {@code rows} frames. */
    private void workspace(int rows) {
        if (logp == null || logp.size() < rows) {
            logp = be.zeros(rows);
            p = be.zeros(rows, nv);
        }
    }

    /**
     * log p(v_t) (rows) of frames v (rows, nv) under biases bvt, bht (shared: bv, bh themselves; or one row per
     * frame), valid until the next call; the conditionals stay for the backward pass.
     */
    public Tensor logLikelihoods(Tensor v, Tensor bvt, Tensor bht) {
        return forward(v, V, bvt, bht);
    }

    /** {@link #logLikelihoods} with vw (nh, nv) in place of V (RNN pretraining's V = 0). */
    Tensor forward(Tensor v, Tensor vw, Tensor bvt, Tensor bht) {
        int rows = v.rows();
        workspace(rows);
        Tensor lp = logp.view(0, rows);
        be.nadeForward(lp, conditionals(rows), v, W, vw, bvt, bht);
        return lp;
    }

    /** The conditionals (rows, nv) of the last forward pass. */
    private Tensor conditionals(int rows) {
        return p.view(0, rows, nv);
    }

    /**
     * The cost alpha (-sum_t log p(v_t)) of the frames v (rows, nv) into cost (1), and its gradients ACCUMULATED: W
     * and V into the gradient tensor, the biases' into dBvt, dBht (shared: the gradient views {@link #grad}; per
     * frame: (rows, nv), (rows, nh) buffers of the caller).
     */
    public void costAndGradients(Tensor v, Tensor bvt, Tensor bht, Tensor dBvt, Tensor dBht, float alpha, Tensor cost) {
        costAndGradients(v, V, gV, bvt, bht, dBvt, dBht, alpha, cost);
    }

    /** As above with vw (nh, nv) in place of V and its gradient into dV. */
    void costAndGradients(Tensor v, Tensor vw, Tensor dV, Tensor bvt, Tensor bht, Tensor dBvt, Tensor dBht, float alpha, Tensor cost) {
        int rows = v.rows();
        Tensor lp = forward(v, vw, bvt, bht);
        be.rowSums(cost.reshape(1), lp.reshape(1, rows), -alpha, 0f);   // summed in float64
        be.nadeBackward(gW, dV, dBvt, dBht, v, conditionals(rows), W, vw, bht, alpha);
    }

    /**
     * Frames drawn exactly (one row each of v (rows, nv)) under biases bvt, bht, with their conditionals in prob
     * (rows, nv); draws from rng as {@link Backend#nadeSample}.
     */
    public void sample(Tensor v, Tensor prob, Tensor bvt, Tensor bht, Rng rng) {
        be.nadeSample(v, prob, W, V, bvt, bht, rng);
    }

}
