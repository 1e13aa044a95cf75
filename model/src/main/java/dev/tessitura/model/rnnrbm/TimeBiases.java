package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;

/**
 * The time-dependent biases of the paper, (1) bv(t) = bv + u(t-1) Wuv and (2) bh(t) = bh + u(t-1) Wuh, with u(t) made
 * by a {@link Recurrence}: what the RNN-RBM and the RNN-NADE share (their frame models differ). Works on B chunks of
 * T frames at once, time-major (frame t of chunk b in row t B + b), and keeps u(t), bv(t), bh(t) of the last forward
 * pass for the backward one.
 */
public final class TimeBiases {
    private final Backend be;
    private final String model;
    private final int nv, nh, nu;
    private final Tensor bv, bh, Wuh, Wuv, gBv, gBh, gWuh, gWuv;
    /** What makes u(t): the tanh RNN of the paper, or an LSTM stack. */
    public final Recurrence recurrence;

    // workspace for B chunks of T frames, reallocated when they grow
    private int capacity = -1, uCapacity = -1;
    private int forwardSteps = -1;  // T of the last forward: what the workspace holds
    private int forwardBatch = 1;   // B of the last forward
    private Tensor uAll;            // ((T+1) B, nu): u(0) .. u(T)
    private Tensor bvT, bhT;        // (T B, nv), (T B, nh): bv(t), bh(t)
    private Tensor dU;              // ((T+1) B, nu): d cost / d u(t)

    /**
     * The biases of {@code model} (its name, for messages) from the views bv (nv), bh (nh), Wuh (nu, nh), Wuv (nu, nv)
     * and their gradients' views, and the recurrence that makes u(t) (nu).
     */
    public TimeBiases(Backend be, String model, Recurrence recurrence, Tensor bv, Tensor bh, Tensor Wuh, Tensor Wuv,
                      Tensor gBv, Tensor gBh, Tensor gWuh, Tensor gWuv) {
        this.be = be;
        this.model = model;
        this.recurrence = recurrence;
        this.nv = (int) bv.size();
        this.nh = (int) bh.size();
        this.nu = Wuh.dim(0);
        this.bv = bv;
        this.bh = bh;
        this.Wuh = Wuh;
        this.Wuv = Wuv;
        this.gBv = gBv;
        this.gBh = gBh;
        this.gWuh = gWuh;
        this.gWuv = gWuv;
    }

    /** Room for {@code rows} = T B frames and {@code uRows} = (T+1) B states. */
    private void workspace(int rows, int uRows) {
        if (rows > capacity) {
            capacity = rows;
            bvT = be.zeros(rows, nv);
            bhT = be.zeros(rows, nh);
        }
        if (uRows > uCapacity) {
            uCapacity = uRows;
            uAll = be.zeros(uRows, nu);
            dU = be.zeros(uRows, nu);
        }
    }

    /**
     * u(t) for t = 1..T from u(0) over B chunks v (T B, nv), time-major, and the biases bv(t), bh(t) of every step from
     * u(t-1), (1), (2). Each chunk starts from u(0); the chunks never meet, so every row-wise result is the one the
     * chunk would get alone. Returns u ((T+1) B, nu).
     */
    public Tensor forward(Tensor v, int steps, int batch) {
        if (steps < 1 || batch < 1 || v.rank() != 2 || v.dim(0) != steps * batch || v.dim(1) != nv) {
            throw new IllegalArgumentException(model + ": forward needs " + (batch == 1 ? "a chunk v of shape (T, nv) = (" + steps
                    : batch + " chunks v of shape (T B, nv) = (" + steps + " x " + batch) + ", " + nv + "), got "
                    + java.util.Arrays.toString(v.shape()));
        }
        int rows = steps * batch;
        workspace(rows, rows + batch);
        forwardSteps = steps;
        forwardBatch = batch;
        Tensor u = uAll.slice(0, rows + batch), uPrev = uAll.slice(0, rows);
        recurrence.forward(v, u, steps, batch);
        Tensor bvt = bvT.slice(0, rows), bht = bhT.slice(0, rows);
        be.gemm(bvt, uPrev, false, Wuv, false, 1f, 0f);                 // (1) bv(t) = bv + u(t-1) Wuv
        be.addRowVector(bvt, bvt, bv);
        be.gemm(bht, uPrev, false, Wuh, false, 1f, 0f);                 // (2) bh(t) = bh + u(t-1) Wuh
        be.addRowVector(bht, bht, bh);
        return u;
    }

    public int nv() { return nv; }

    public int nh() { return nh; }

    public int nu() { return nu; }

    /** Generation's one step: bv(t) (1, nv) and bh(t) (1, nh) from u(t-1) (1, nu), (1) and (2). */
    public void step(Tensor u, Tensor bvt, Tensor bht) {
        be.gemm(bvt, u, false, Wuv, false, 1f, 0f);
        be.addRowVector(bvt, bvt, bv);
        be.gemm(bht, u, false, Wuh, false, 1f, 0f);
        be.addRowVector(bht, bht, bh);
    }

    /** bv(t) (T B, nv) of the last {@link #forward}. */
    public Tensor visibleBiases(int steps) {
        return bvT.slice(0, rows(steps));
    }

    /** bh(t) (T B, nh) of the last {@link #forward}. */
    public Tensor hiddenBiases(int steps) {
        return bhT.slice(0, rows(steps));
    }

    /** B of the last forward. */
    public int batch() {
        return forwardBatch;
    }

    /**
     * The workspace holds bv(t), bh(t) and u(t) of one batch of chunks only: the last one given to {@link #forward}.
     * Returns its T B rows.
     */
    public int rows(int steps) {
        if (steps != forwardSteps) {
            throw new IllegalStateException(model + ": asked about a chunk of " + steps + " frames, but "
                    + (forwardSteps < 0 ? "forward(v, T) has not run" : "the last forward(v, T) had T = " + forwardSteps)
                    + "; call forward on this chunk first");
        }
        return steps * forwardBatch;
    }

    /**
     * From d cost / d bv(t) (T B, nv) and d bh(t) (or null) of the last forward, ACCUMULATES the gradients of bv, bh and
     * of the bias maps and, by backpropagation through time, the recurrence's: (1), (2) give dbv += sum_t dbv(t),
     * dWuv += u(t-1)^T dbv(t), dWuh += u(t-1)^T dbh(t), d u(t-1) = dbv(t) Wuv^T + dbh(t) Wuh^T.
     */
    public void backward(Tensor v, Tensor dbv, Tensor dbh, int steps) {
        int batch = forwardBatch, rows = rows(steps);
        Tensor u = uAll.slice(0, rows + batch), uPrev = uAll.slice(0, rows);
        Tensor du = dU.slice(0, rows + batch);
        be.columnSums(gBv, dbv, 1f, 1f);
        if (dbh != null) be.columnSums(gBh, dbh, 1f, 1f);
        be.gemm(gWuv, uPrev, true, dbv, false, 1f, 1f);
        be.fill(du.slice(rows, rows + batch), 0f);                       // u(T) sets no bias of this chunk
        be.gemm(du.slice(0, rows), dbv, false, Wuv, true, 1f, 0f);
        if (dbh != null) {
            be.gemm(gWuh, uPrev, true, dbh, false, 1f, 1f);
            be.gemm(du.slice(0, rows), dbh, false, Wuh, true, 1f, 1f);
        }
        recurrence.backward(v, u, du, steps, batch);                    // (3) by backpropagation through time
    }
}
