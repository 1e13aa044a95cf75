package dev.tessitura.engine;

import java.util.Arrays;

/**
 * Argument checks shared by every backend, so that all of them reject the same bad calls with the same words.
 * Each returns normally or throws {@link IllegalArgumentException} naming the op and the offending shapes.
 */
public final class Checks {
    private Checks() {}

    /** The tensor belongs to this backend. */
    public static void owned(Backend backend, String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.backend() != backend) {
                throw new IllegalArgumentException(op + ": " + t + " belongs to backend " + t.backend().name()
                        + ", not " + backend.name());
            }
        }
    }

    /** Same number of elements (elementwise ops). */
    public static void sameSize(String op, Tensor out, Tensor... ins) {
        for (Tensor in : ins) {
            if (in.size() != out.size()) {
                throw new IllegalArgumentException(op + ": size mismatch, output " + shape(out) + " vs input " + shape(in));
            }
        }
    }

    /** An output of an elementwise op is either exactly an input (in place) or disjoint from it. */
    public static void inPlaceOrDisjoint(String op, Tensor out, Tensor... ins) {
        for (Tensor in : ins) {
            if (out.overlaps(in) && !out.sameElements(in)) {
                throw new IllegalArgumentException(op + ": output " + out + " partly overlaps input " + in);
            }
        }
    }

    /** An output of GEMM or a fused op must not share memory with any input. */
    public static void disjoint(String op, Tensor out, Tensor... ins) {
        if (out == null) return;
        for (Tensor in : ins) {
            if (in != null && out.overlaps(in)) {
                throw new IllegalArgumentException(op + ": output " + out + " aliases input " + in + " (not allowed here)");
            }
        }
    }

    /** Elementwise op: ownership, equal sizes, in place or disjoint. */
    public static void elementwise(Backend backend, String op, Tensor out, Tensor... ins) {
        owned(backend, op, out);
        owned(backend, op, ins);
        sameSize(op, out, ins);
        inPlaceOrDisjoint(op, out, ins);
    }

    /** out (cols, rows) = a^T (rows, cols), disjoint. */
    public static void transpose(Backend backend, Tensor out, Tensor a) {
        owned(backend, "transpose", out, a);
        shape("transpose", "out", out, a.cols(), a.rows());
        disjoint("transpose", out, a);
    }

    /** sumOfSquares into a tensor: out (1), disjoint from x. */
    public static void sumOfSquares(Backend backend, Tensor x, Tensor out) {
        owned(backend, "sumOfSquares", x, out);
        length("sumOfSquares", "out", out, 1);
        disjoint("sumOfSquares", out, x);
    }

    /** gatherRows: dst (n, c), src (m, c), rows (n); dst disjoint from both. */
    public static void gatherRows(Backend backend, Tensor dst, Tensor src, Tensor rows) {
        String op = "gatherRows";
        owned(backend, op, dst, src, rows);
        if (dst.rank() != 2 || src.rank() != 2) {
            throw new IllegalArgumentException(op + ": dst and src must be matrices, got " + shape(dst) + " and " + shape(src));
        }
        shape(op, "dst", dst, dst.rows(), src.cols());
        length(op, "rows", rows, dst.rows());
        disjoint(op, dst, src, rows);
    }

    /** A row index held as a float: a whole number in [0, rows). */
    public static int rowIndex(String op, float index, int rows) {
        if (!(index >= 0 && index < rows) || index != Math.rint(index)) {
            throw new IllegalArgumentException(op + ": row index " + index + " is not a row of " + rows);
        }
        return (int) index;
    }

    /** C (m,n) = op(A) (m,k) * op(B) (k,n). Returns {m, n, k}. */
    public static int[] gemm(Backend backend, Tensor c, Tensor a, boolean transA, Tensor b, boolean transB) {
        owned(backend, "gemm", c, a, b);
        int m = transA ? a.cols() : a.rows(), ka = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows(), n = transB ? b.rows() : b.cols();
        if (ka != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: shapes do not match: C " + shape(c) + " = op(A) " + shape(a)
                    + (transA ? "^T" : "") + " * op(B) " + shape(b) + (transB ? "^T" : ""));
        }
        disjoint("gemm", c, a, b);
        return new int[] {m, n, ka};
    }

    /** A bias for an output of (rows, cols): a vector of cols, or a matrix of the same shape. Returns true if per-row. */
    public static boolean bias(String op, Tensor bias, int rows, int cols) {
        if (bias.size() == cols && (bias.rank() == 1 || bias.rows() == 1)) return false;
        if (bias.rows() == rows && bias.cols() == cols) return true;
        throw new IllegalArgumentException(op + ": bias " + shape(bias) + " is neither (" + cols + ") nor (" + rows + ", " + cols + ")");
    }

    /** A gradient buffer for a bias: (cols) summed over rows, or (rows, cols) per row. Returns true if per-row. */
    public static boolean biasGrad(String op, Tensor grad, int rows, int cols) {
        return bias(op, grad, rows, cols);
    }

    /** lstmCell / lstmCellBackward: z-like tensors (B, 4H), the others (B, H) with H = z.cols() / 4. Returns {B, H}. */
    public static int[] lstm(Backend backend, String op, Tensor z, Tensor... cellSized) {
        owned(backend, op, z);
        owned(backend, op, cellSized);
        if (z.cols() % 4 != 0) throw new IllegalArgumentException(op + ": gate tensor " + shape(z) + " has a width not divisible by 4");
        int rows = z.rows(), h = z.cols() / 4;
        for (Tensor t : cellSized) if (t != null) shape(op, "cell tensor", t, rows, h);
        return new int[] {rows, h};
    }

    /** A backend's own lstmCell: the cell's shapes, and neither h nor c sharing memory with another tensor. Returns {B, H}. */
    public static int[] lstmCell(Backend backend, Tensor h, Tensor c, Tensor z, Tensor cPrev) {
        String op = "lstmCell";
        int[] bh = lstm(backend, op, z, h, c, cPrev);
        disjoint(op, h, z, c, cPrev);
        disjoint(op, c, z, cPrev);
        return bh;
    }

    /** A backend's own lstmCellBackward: the cell's shapes, dz's, and no output sharing memory with another tensor. Returns {B, H}. */
    public static int[] lstmCellBackward(Backend backend, Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev) {
        String op = "lstmCellBackward";
        int[] bh = lstm(backend, op, z, dc, dh, c, cPrev);
        owned(backend, op, dz);
        shape(op, "dz", dz, z.rows(), z.cols());
        disjoint(op, dz, dc, dh, z, c, cPrev);
        disjoint(op, dc, dh, z, c, cPrev);
        return bh;
    }

    /**
     * lstmForward / lstmBackward: z (T B, 4H) with T = z.rows() / batch steps, Wh (H, 4H), the step-sized tensors
     * (B, H) (each may be null) and the sequence-sized ones (T B, H). Returns T.
     */
    public static int lstmLayer(Backend backend, String op, Tensor z, Tensor wh, int batch, Tensor stepA, Tensor stepB,
                                Tensor... sequence) {
        int[] rh = lstm(backend, op, z, sequence);
        if (batch < 1 || rh[0] % batch != 0) {
            throw new IllegalArgumentException(op + ": " + rh[0] + " rows are not whole steps of batch " + batch);
        }
        owned(backend, op, wh);
        shape(op, "Wh", wh, rh[1], 4 * rh[1]);
        for (Tensor t : new Tensor[] {stepA, stepB}) {
            if (t != null) {
                owned(backend, op, t);
                shape(op, "state", t, batch, rh[1]);
            }
        }
        return rh[0] / batch;
    }

    /** A backend's own lstmForward: the layer's shapes, and no output sharing memory with another tensor. Returns T. */
    public static int lstmForward(Backend backend, Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        String op = "lstmForward";
        int steps = lstmLayer(backend, op, z, wh, batch, h0, c0, h, c);
        disjoint(op, z, h, c, wh, h0, c0);
        disjoint(op, h, c, wh, h0, c0);
        disjoint(op, c, wh, h0, c0);
        return steps;
    }

    /** A backend's own lstmBackward: the layer's shapes, dz's, and no output sharing memory with another tensor. Returns T. */
    public static int lstmBackward(Backend backend, Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh,
                                   int batch) {
        String op = "lstmBackward";
        int steps = lstmLayer(backend, op, z, wh, batch, c0, dc, dh, c);
        shape(op, "dz", dz, z.rows(), z.cols());
        owned(backend, op, dz);
        disjoint(op, dz, dc, dh, z, c, c0, wh);
        disjoint(op, dc, dh, z, c, c0, wh);
        disjoint(op, dh, z, c, c0, wh);
        return steps;
    }

    /**
     * tanhRecurrence / tanhRecurrenceBackward: B = batch >= 1 sequences, u ((T+1) B, n) with T >= 0, Wuu (n, n), and
     * the others (each may be null) da (T B, n), du ((T+1) B, n); none of them overlapping another. Returns T.
     */
    public static int tanhRecurrence(Backend backend, String op, Tensor u, Tensor wuu, Tensor da, Tensor du, int batch) {
        owned(backend, op, u, wuu, da, du);
        if (batch < 1) throw new IllegalArgumentException(op + ": batch must be >= 1, got " + batch);
        if (u.rank() != 2 || u.rows() < batch || u.rows() % batch != 0) {
            throw new IllegalArgumentException(op + ": u must be ((T+1) B, n) with rows [0, B) = u(0), B = " + batch + ", got " + shape(u));
        }
        int steps = u.rows() / batch - 1, n = u.cols();
        shape(op, "Wuu", wuu, n, n);
        if (da != null) shape(op, "da", da, steps * batch, n);
        if (du != null) shape(op, "du", du, (steps + 1) * batch, n);
        disjoint(op, u, wuu, da, du);
        disjoint(op, wuu, da, du);
        disjoint(op, da, du);
        return steps;
    }

    /** aisHidden: x (R, nh), w (R), h (R, nh) or null, bh (nh) or (R, nh); none overlapping. Returns whether bh is per row. */
    public static boolean aisHidden(Backend backend, Tensor w, Tensor h, Tensor x, Tensor bh) {
        String op = "aisHidden";
        owned(backend, op, w, h, x, bh);
        if (x.rank() != 2) throw new IllegalArgumentException(op + ": x must be (R, nh), got " + shape(x));
        int rows = x.rows(), nh = x.cols();
        length(op, "w", w, rows);
        if (h != null) shape(op, "h", h, rows, nh);
        boolean perRow = bias(op, bh, rows, nh);
        disjoint(op, w, h, x, bh);
        disjoint(op, h, x, bh);
        disjoint(op, x, bh);
        return perRow;
    }

    /**
     * aisVisible: v (R, nv), w (R), x (R, nv) or null, bv (nv) or (R, nv), a null or of bv's shape; none overlapping.
     * Returns whether bv is per row.
     */
    public static boolean aisVisible(Backend backend, Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a) {
        String op = "aisVisible";
        owned(backend, op, w, v, x, bv, a);
        if (v.rank() != 2) throw new IllegalArgumentException(op + ": v must be (R, nv), got " + shape(v));
        int rows = v.rows(), nv = v.cols();
        length(op, "w", w, rows);
        if (x != null) shape(op, "x", x, rows, nv);
        boolean perRow = bias(op, bv, rows, nv);
        if (a != null && !java.util.Arrays.equals(a.shape(), bv.shape())) {
            throw new IllegalArgumentException(op + ": a must have bv's shape " + shape(bv) + ", got " + shape(a));
        }
        disjoint(op, w, v, x, bv, a);
        disjoint(op, v, x, bv, a);
        disjoint(op, x, bv, a);
        return perRow;
    }

    /** An optimizer step: p, g and the state tensors the same size, none overlapping another. */
    public static void optimizer(Backend backend, String op, Tensor p, Tensor g, Tensor... state) {
        owned(backend, op, p, g);
        owned(backend, op, state);
        sameSize(op, p, g);
        sameSize(op, p, state);
        disjoint(op, p, g);
        for (Tensor s : state) disjoint(op, s, p, g);
        for (int i = 0; i < state.length; i++) for (int j = i + 1; j < state.length; j++) disjoint(op, state[i], state[j]);
    }

    // ---------------------------------------------------------------- the fused RBM ops, checked alike by every backend

    /** Sizes of a fused RBM op: B rows of nv visible and nh hidden units, and whether each bias is per row. */
    public record RbmShape(int rows, int nv, int nh, boolean bvPerRow, boolean bhPerRow) {}

    /** Sizes of a Gibbs half-step x (B, nIn) op(W) (nIn, nOut), and whether the bias is per row. */
    public record HalfStepShape(int rows, int nIn, int nOut, boolean biasPerRow) {}

    public static HalfStepShape gibbsHalfStep(Backend backend, Tensor sample, Tensor prob, Tensor x, Tensor w,
                                              boolean transW, Tensor bias) {
        String op = "gibbsHalfStep";
        owned(backend, op, sample, prob, x, w, bias);
        int rows = x.rows(), nIn = x.cols(), nOut = transW ? w.rows() : w.cols();
        int wIn = transW ? w.cols() : w.rows();
        if (wIn != nIn) {
            throw new IllegalArgumentException(op + ": x has " + nIn + " columns but op(W) has " + wIn + " rows");
        }
        shape(op, "sample", sample, rows, nOut);
        if (prob != null) shape(op, "prob", prob, rows, nOut);
        boolean perRow = bias(op, bias, rows, nOut);
        disjoint(op, sample, x, w, bias, prob);
        disjoint(op, prob, x, w, bias);
        return new HalfStepShape(rows, nIn, nOut, perRow);
    }

    public static RbmShape gibbsChain(Backend backend, Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k) {
        String op = "gibbsChain";
        owned(backend, op, v, vProb, w, bv, bh);
        nonNegative(op, "k", k);
        int rows = v.rows(), nv = w.rows(), nh = w.cols();
        shape(op, "v", v, rows, nv);
        if (vProb != null) shape(op, "vProb", vProb, rows, nv);
        boolean bvRow = bias(op, bv, rows, nv), bhRow = bias(op, bh, rows, nh);
        disjoint(op, v, w, bv, bh, vProb);
        disjoint(op, vProb, w, bv, bh);
        return new RbmShape(rows, nv, nh, bvRow, bhRow);
    }

    public static RbmShape freeEnergy(Backend backend, Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh) {
        String op = "freeEnergy";
        owned(backend, op, f, v, w, bv, bh);
        int rows = v.rows(), nv = w.rows(), nh = w.cols();
        shape(op, "v", v, rows, nv);
        length(op, "f", f, rows);
        boolean bvRow = bias(op, bv, rows, nv), bhRow = bias(op, bh, rows, nh);
        disjoint(op, f, v, w, bv, bh);
        return new RbmShape(rows, nv, nh, bvRow, bhRow);
    }

    /** freeEnergyGrad; here bvPerRow and bhPerRow say whether the gradients dBv and dBh are per row. */
    public static RbmShape freeEnergyGrad(Backend backend, Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh) {
        String op = "freeEnergyGrad";
        owned(backend, op, dW, dBv, dBh, v, w, bh);
        int rows = v.rows(), nv = w.rows(), nh = w.cols();
        shape(op, "v", v, rows, nv);
        bias(op, bh, rows, nh);
        if (dW != null) shape(op, "dW", dW, nv, nh);
        boolean dBvRow = dBv != null && biasGrad(op, dBv, rows, nv);
        boolean dBhRow = dBh != null && biasGrad(op, dBh, rows, nh);
        for (Tensor g : new Tensor[] {dW, dBv, dBh}) disjoint(op, g, v, w, bh);
        disjoint(op, dW, dBv, dBh);
        disjoint(op, dBv, dBh);
        return new RbmShape(rows, nv, nh, dBvRow, dBhRow);
    }

    // ---------------------------------------------------------------- the NADE ops

    /** Sizes of a NADE op: T rows of nv visible and nh hidden units, and whether each bias (or its gradient) is per row. */
    public record NadeShape(int rows, int nv, int nh, boolean bvPerRow, boolean bhPerRow) {}

    /** W (nv, nh) and V (nh, nv), and the frames' (T, nv) tensors. Returns {nv, nh}. */
    private static int[] nadeWeights(String op, Tensor w, Tensor vw, int rows, Tensor... frames) {
        int nv = w.rows(), nh = w.cols();
        if (w.rank() != 2 || vw.rank() != 2) {
            throw new IllegalArgumentException(op + ": W and V must be matrices, got " + shape(w) + " and " + shape(vw));
        }
        shape(op, "V", vw, nh, nv);
        for (Tensor f : frames) shape(op, "frames", f, rows, nv);
        return new int[] {nv, nh};
    }

    /** nadeForward: logp (T), p and v (T, nv), W (nv, nh), V (nh, nv), bv and bh biases; outputs disjoint from all. */
    public static NadeShape nadeForward(Backend backend, Tensor logp, Tensor p, Tensor v, Tensor w, Tensor vw, Tensor bv, Tensor bh) {
        String op = "nadeForward";
        owned(backend, op, logp, p, v, w, vw, bv, bh);
        int rows = v.rows();
        int[] s = nadeWeights(op, w, vw, rows, v, p);
        length(op, "logp", logp, rows);
        boolean bvRow = bias(op, bv, rows, s[0]), bhRow = bias(op, bh, rows, s[1]);
        disjoint(op, logp, p, v, w, vw, bv, bh);
        disjoint(op, p, v, w, vw, bv, bh);
        return new NadeShape(rows, s[0], s[1], bvRow, bhRow);
    }

    /** nadeBackward; here bvPerRow and bhPerRow say whether the gradients dBv and dBh are per row. */
    public static NadeShape nadeBackward(Backend backend, Tensor dW, Tensor dV, Tensor dBv, Tensor dBh, Tensor v, Tensor p,
                                         Tensor w, Tensor vw, Tensor bh) {
        String op = "nadeBackward";
        owned(backend, op, dW, dV, dBv, dBh, v, p, w, vw, bh);
        int rows = v.rows();
        int[] s = nadeWeights(op, w, vw, rows, v, p);
        int nv = s[0], nh = s[1];
        bias(op, bh, rows, nh);
        shape(op, "dW", dW, nv, nh);
        shape(op, "dV", dV, nh, nv);
        boolean dBvRow = biasGrad(op, dBv, rows, nv), dBhRow = biasGrad(op, dBh, rows, nh);
        Tensor[] grads = {dW, dV, dBv, dBh};
        for (int i = 0; i < grads.length; i++) {
            disjoint(op, grads[i], v, p, w, vw, bh);
            for (int j = i + 1; j < grads.length; j++) disjoint(op, grads[i], grads[j]);
        }
        return new NadeShape(rows, nv, nh, dBvRow, dBhRow);
    }

    /** nadeSample: v and p (T, nv) outputs, W (nv, nh), V (nh, nv), bv and bh biases; outputs disjoint from all. */
    public static NadeShape nadeSample(Backend backend, Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bv, Tensor bh) {
        String op = "nadeSample";
        owned(backend, op, v, p, w, vw, bv, bh);
        int rows = v.rows();
        int[] s = nadeWeights(op, w, vw, rows, v, p);
        boolean bvRow = bias(op, bv, rows, s[0]), bhRow = bias(op, bh, rows, s[1]);
        disjoint(op, v, p, w, vw, bv, bh);
        disjoint(op, p, w, vw, bv, bh);
        return new NadeShape(rows, s[0], s[1], bvRow, bhRow);
    }

    /** softmaxCrossEntropy: targets and dLogits (or null) the logits' shape; dLogits may be the logits themselves. */
    public static void softmaxCrossEntropy(Backend backend, Tensor dLogits, Tensor logits, Tensor targets) {
        String op = "softmaxCrossEntropy";
        owned(backend, op, dLogits, logits, targets);
        shape(op, "targets", targets, logits.rows(), logits.cols());
        if (dLogits != null) {
            shape(op, "dLogits", dLogits, logits.rows(), logits.cols());
            inPlaceOrDisjoint(op, dLogits, logits);
            disjoint(op, dLogits, targets);
        }
    }

    public static void shape(String op, String what, Tensor t, int rows, int cols) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(op + ": " + what + " is " + shape(t) + ", expected (" + rows + ", " + cols + ")");
        }
    }

    public static void length(String op, String what, Tensor t, long n) {
        if (t.size() != n) {
            throw new IllegalArgumentException(op + ": " + what + " has " + t.size() + " elements " + shape(t) + ", expected " + n);
        }
    }

    public static void nonNegative(String op, String what, int k) {
        if (k < 0) throw new IllegalArgumentException(op + ": " + what + " must be >= 0, got " + k);
    }

    private static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }
}
