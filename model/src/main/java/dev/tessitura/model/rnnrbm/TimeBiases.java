package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;

/**
 * The time-dependent biases of the paper, (1) bv(t) = bv + u(t-1) Wuv and (2) bh(t) = bh + u(t-1) Wuh, with u(t) made
 * by a {@link Recurrence}: what the RNN-RBM and the RNN-NADE share (their frame models differ). Works on B chunks of
 * T frames at once, time-major (frame t of chunk b in row t B + b), and keeps u(t), bv(t), bh(t) of the last forward
 * pass for the backward one.
 *
 * <p>Training may drop out u (the RNN-NADE's --dropout): given multipliers m(t) (0, or 1 / (1 - P) for a kept unit) the
 * biases read u~(t-1) = m(t-1) * u(t-1) instead of u(t-1), and the backward pass multiplies d cost / d u~ by the same m.
 *
 * <p>Where the recurrence stores u in parts ({@link Recurrence#parts}: each LSTM layer's h with skip connections), part
 * p meets its own rows of Wuv and Wuh: bv(t) = bv + sum_p u^p(t-1) Wuv^p, which is (1) for u = [u^0, u^1, ...].
 */
public final class TimeBiases {
    private final Backend be;
    private final String model;
    private final int nv, nh, nu;
    private final Tensor bv, bh, Wuh, Wuv, gBv, gBh, gWuh, gWuv;
    private final int[] widths;     // u's parts: their widths ({nu} unless the recurrence stores u in parts)
    /** What makes u(t): the tanh RNN of the paper, or an LSTM stack. */
    public final Recurrence recurrence;

    // workspace for B chunks of T frames, reallocated when they grow
    private int capacity = -1, uCapacity = -1;
    private int forwardSteps = -1;  // T of the last forward: what the workspace holds
    private int forwardBatch = 1;   // B of the last forward
    private Tensor uAll;            // ((T+1) B, nu): u(0) .. u(T)
    private Tensor bvT, bhT;        // (T B, nv), (T B, nh): bv(t), bh(t)
    private Tensor dU;              // ((T+1) B, nu): d cost / d u(t)
    private Tensor uDropped;        // (T B, nu): u~(t-1) = m(t-1) * u(t-1), with dropout
    private Tensor m;               // (T B, nu): the last forward's dropout multipliers, or null

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
        int[] parts = recurrence.parts();
        this.widths = parts == null ? new int[] {nu} : parts.clone();
        int sum = 0;
        for (int w : widths) sum += w;
        if (sum != nu) throw new IllegalArgumentException(model + ": u's parts " + java.util.Arrays.toString(widths) + " are not nu = " + nu);
    }

    /** Room for {@code rows} = T B frames and {@code uRows} = (T+1) B states. */
    private void workspace(int rows, int uRows) {
        if (rows > capacity) {
            capacity = rows;
            bvT = be.zeros(rows, nv);
            bhT = be.zeros(rows, nh);
            uDropped = null;
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
        return forward(v, steps, batch, null);
    }

    /**
     * As {@link #forward(Tensor, int, int)}, with dropout where {@code mask} is not null: the multipliers m(t-1) (T B,
     * nu) of u(t-1), laid out as u's first T B rows (part by part where u is in parts), kept for the backward pass.
     */
    public Tensor forward(Tensor v, int steps, int batch, Tensor mask) {
        if (steps < 1 || batch < 1 || v.rank() != 2 || v.dim(0) != steps * batch || v.dim(1) != nv) {
            throw new IllegalArgumentException(model + ": forward needs " + (batch == 1 ? "a chunk v of shape (T, nv) = (" + steps
                    : batch + " chunks v of shape (T B, nv) = (" + steps + " x " + batch) + ", " + nv + "), got "
                    + java.util.Arrays.toString(v.shape()));
        }
        int rows = steps * batch;
        workspace(rows, rows + batch);
        forwardSteps = steps;
        forwardBatch = batch;
        if (mask != null && (mask.rank() != 2 || mask.dim(0) != rows || mask.dim(1) != nu)) {
            throw new IllegalArgumentException(model + ": a dropout mask must be (T B, nu) = (" + rows + ", " + nu + "), got " + mask);
        }
        if (mask != null && uDropped == null) uDropped = be.zeros(capacity, nu);
        m = mask;
        Tensor u = uAll.slice(0, rows + batch);
        recurrence.forward(v, u, steps, batch);
        Tensor bvt = bvT.slice(0, rows), bht = bhT.slice(0, rows);
        for (int p = 0; p < widths.length; p++) {
            Tensor uPrev = previous(u, p, steps, batch);
            if (m != null) {                                            // u~(t-1) = m(t-1) * u(t-1)
                Tensor dropped = part(uDropped, p, rows);
                be.mul(dropped, uPrev, part(m, p, rows));
                uPrev = dropped;
            }
            float beta = p == 0 ? 0f : 1f;                             // the parts' products add up
            be.gemm(bvt, uPrev, false, rowsOf(Wuv, p), false, 1f, beta);   // (1) bv(t) = bv + u(t-1) Wuv
            be.gemm(bht, uPrev, false, rowsOf(Wuh, p), false, 1f, beta);   // (2) bh(t) = bh + u(t-1) Wuh
        }
        be.addRowVector(bvt, bvt, bv);
        be.addRowVector(bht, bht, bh);
        return u;
    }

    /** Part p's u(t-1) for t = 1..T: the first T B rows of its block of u ((T+1) B rows). */
    private Tensor previous(Tensor u, int p, int steps, int batch) {
        return part(u, p, (steps + 1) * batch).slice(0, steps * batch);
    }

    /** Part p's block (rows, w_p) of a tensor of {@code rows} rows stored part by part. */
    private Tensor part(Tensor t, int p, int rows) {
        long at = 0;
        for (int k = 0; k < p; k++) at += (long) rows * widths[k];
        return t.view(at, rows, widths[p]);
    }

    /** Part p's rows of a bias map M (nu, n): M^p (w_p, n). */
    private Tensor rowsOf(Tensor map, int p) {
        int first = 0;
        for (int k = 0; k < p; k++) first += widths[k];
        return map.slice(first, first + widths[p]);
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
     * dWuv += u(t-1)^T dbv(t), dWuh += u(t-1)^T dbh(t), d u(t-1) = dbv(t) Wuv^T + dbh(t) Wuh^T (with dropout u~(t-1)
     * in place of u(t-1), and d u(t-1) = m(t-1) * d u~(t-1)).
     */
    public void backward(Tensor v, Tensor dbv, Tensor dbh, int steps) {
        int batch = forwardBatch, rows = rows(steps);
        Tensor u = uAll.slice(0, rows + batch);
        Tensor du = dU.slice(0, rows + batch);
        be.columnSums(gBv, dbv, 1f, 1f);
        if (dbh != null) be.columnSums(gBh, dbh, 1f, 1f);
        for (int p = 0; p < widths.length; p++) {
            Tensor uPrev = m == null ? previous(u, p, steps, batch) : part(uDropped, p, rows);
            Tensor duAll = part(du, p, rows + batch), duPrev = duAll.slice(0, rows);
            be.gemm(rowsOf(gWuv, p), uPrev, true, dbv, false, 1f, 1f);
            be.fill(duAll.slice(rows, rows + batch), 0f);                 // u(T) sets no bias of this chunk
            be.gemm(duPrev, dbv, false, rowsOf(Wuv, p), true, 1f, 0f);
            if (dbh != null) {
                be.gemm(rowsOf(gWuh, p), uPrev, true, dbh, false, 1f, 1f);
                be.gemm(duPrev, dbh, false, rowsOf(Wuh, p), true, 1f, 1f);
            }
            if (m != null) be.mul(duPrev, duPrev, part(m, p, rows));      // d u(t-1) = m(t-1) * d u~(t-1)
        }
        recurrence.backward(v, u, du, steps, batch);                    // (3) by backpropagation through time
    }
}
