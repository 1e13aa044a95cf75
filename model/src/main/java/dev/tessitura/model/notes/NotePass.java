package dev.tessitura.model.notes;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/**
 * One minibatch through a {@link NoteModel}: the forward pass to the summed negative log-likelihood of its frames, and
 * the backward pass side by side, with the workspace they share. Frame-level tensors have a row per predicted frame in
 * the layout's sorted order (N); token-level ones a row per token (R), step k's rows from offsets[k]. Buffers grow to
 * the largest minibatch seen and are used through views.
 */
final class NotePass {
    private final NoteModel m;
    private final Backend be;
    private final int n, classes;

    private Tensor x;                                   // (T B, n) the frame LSTM's inputs
    private Tensor index;                               // NoteLayout.indices()
    private int frameCap, rowCap, indexCap;
    // frame rows (N): hF sorted (after dropout), its mask, the previous frames, the contexts and their gradients
    private Tensor hFs, mF, us, gC, yC, dgC, dyC, dhFs;   // dhFs has N + 1 rows, the last zero (padding slots)
    // token rows (R)
    private Tensor xs;                                  // (R, in0)
    private Tensor[] z, h, c;                           // per note layer (R, 4H), (R, H), (R, H)
    private Tensor mN, hNd, logits, dLogits, masks, targets;
    private Tensor dz, dhA, dhB, dc;                    // (R, 4H_max), (R, H_max) x 2, (N, H_max)
    private Tensor keep;                                // keep probabilities for bernoulli, as large as the largest mask
    private float keepValue;                            // what keep holds
    private Tensor hTop;                                // (R, HN_top) the read-out's input: the top layer's h, after dropout

    private NoteLayout lay;
    private int steps, batch;
    private boolean dropped;

    NotePass(NoteModel model) {
        this.m = model;
        this.be = model.be;
        this.n = model.n;
        this.classes = model.classes;
    }

    private void ensure(NoteLayout l, int slots) {
        int hfTop = m.hf[m.hf.length - 1], hnTop = m.hn[m.hn.length - 1], g0 = 4 * m.hn[0], hMax = 0;
        for (int hh : m.hn) hMax = Math.max(hMax, hh);
        int need = 3 * l.rows + l.frames + slots;
        if (need > indexCap) {
            indexCap = grow(need);
            index = be.zeros(indexCap);
        }
        if (l.frames + 1 > frameCap) {
            frameCap = grow(l.frames + 1);
            hFs = be.zeros(frameCap, hfTop); mF = be.zeros(frameCap, hfTop); us = be.zeros(frameCap, n);
            gC = be.zeros(frameCap, g0); yC = be.zeros(frameCap, classes);
            dgC = be.zeros(frameCap, g0); dyC = be.zeros(frameCap, classes); dhFs = be.zeros(frameCap, hfTop);
            dc = be.zeros(frameCap, hMax);
        }
        if (l.rows > rowCap) {
            rowCap = grow(l.rows);
            xs = be.zeros(rowCap, m.in0);
            int layers = m.hn.length;
            z = new Tensor[layers]; h = new Tensor[layers]; c = new Tensor[layers];
            for (int q = 0; q < layers; q++) {
                z[q] = be.zeros(rowCap, 4 * m.hn[q]);
                h[q] = be.zeros(rowCap, m.hn[q]);
                c[q] = be.zeros(rowCap, m.hn[q]);
            }
            mN = be.zeros(rowCap, hnTop); hNd = be.zeros(rowCap, hnTop);
            logits = be.zeros(rowCap, classes); dLogits = be.zeros(rowCap, classes);
            masks = be.zeros(rowCap, classes); targets = be.zeros(rowCap, classes);
            dz = be.zeros(rowCap, 4 * hMax); dhA = be.zeros(rowCap, hMax); dhB = be.zeros(rowCap, hMax);
        }
        long keepNeed = Math.max((long) frameCap * hfTop, (long) rowCap * hnTop);
        if (keep == null || keep.size() < keepNeed) {
            keep = be.zeros(Math.toIntExact(keepNeed));
            keepValue = 0;
        }
    }

    private static int grow(int need) {
        return Math.max(need + need / 4, 16);
    }

    private static Tensor rows(Tensor t, int count) {
        return t.slice(0, count);
    }

    private static Tensor rows(Tensor t, int from, int to) {
        return t.slice(from, to);
    }

    /**
     * The forward pass over a minibatch: the frame LSTM over inputs (T B, n) (carrying its state as
     * {@link dev.tessitura.model.lstm.Lstm#forwardHidden} does), then the note LSTM over the layout's tokens. With
     * dropout > 0 the masks are drawn from rng (the frame rows' N HF elements, then the token rows' R HN_top).
     * Returns the summed negative log-likelihood of the layout's frames in nats (float64); with {@code gradient} it
     * also leaves d(sum) / d logits for {@link #backward}.
     */
    double forward(NoteLayout l, float[] inputs, int t, int b, boolean carry, int[] fresh, float dropout, Rng rng, boolean gradient) {
        if (l.slots != t * b || inputs.length != t * b * n) {
            throw new IllegalArgumentException("note-lstm: a layout of " + l.slots + " slots and " + inputs.length + " inputs for "
                    + t + " steps x " + b + " streams of " + n + " notes");
        }
        ensure(l, t * b);
        lay = l;
        steps = t;
        batch = b;
        if (x == null || x.rows() != t * b) x = be.zeros(t * b, n);
        be.copyFromHost(x, inputs, 0);
        Tensor hF = m.frame.forwardHidden(x, t, b, carry, fresh);          // (T B, HF)
        if (l.frames == 0) return 0;
        float[] idx = l.indices();
        be.copyFromHost(index.view(0, idx.length), idx, 0);
        int frames = l.frames, r = l.rows, hfTop = hFs.cols(), hnTop = hNd.cols();
        Tensor slots = index.view(3L * r, frames);
        Tensor hf = rows(hFs, frames), u = rows(us, frames);
        be.gatherRows(hf, hF, slots);                                     // (N, HF) sorted
        be.gatherRows(u, x, slots);                                       // (N, n)
        dropped = dropout > 0;
        if (dropped) {
            if (keepValue != 1 - dropout) be.fill(keep, keepValue = 1 - dropout);
            m.dropoutMask(rows(mF, frames), keep.view(0, frames, hfTop), keepValue, rng);
            be.mul(hf, hf, rows(mF, frames));
        }
        m.context(rows(gC, frames), rows(yC, frames), hf, u);
        // note layers: the input share of every row at once, then the steps
        Tensor in = rows(xs, r);
        be.gatherRows(in, m.inputTable, index.view(0, r));
        for (int q = 0; q < m.hn.length; q++) {
            Tensor zq = rows(z[q], r);
            m.noteInput(q, zq, in);
            for (int k = 0; k < l.steps(); k++) {
                int r0 = l.offsets[k], cnt = l.counts[k];
                Tensor zk = rows(zq, r0, r0 + cnt);
                if (q == 0) be.add(zk, zk, rows(gC, cnt));
                Tensor hPrev = k == 0 ? null : rows(h[q], l.offsets[k - 1], l.offsets[k - 1] + cnt);
                Tensor cPrev = k == 0 ? null : rows(c[q], l.offsets[k - 1], l.offsets[k - 1] + cnt);
                m.noteStep(q, rows(h[q], r0, r0 + cnt), rows(c[q], r0, r0 + cnt), zk, hPrev, cPrev);
            }
            in = rows(h[q], r);
        }
        hTop = in;
        if (dropped) {
            hTop = rows(hNd, r);
            m.dropoutMask(rows(mN, r), keep.view(0, r, hnTop), keepValue, rng);
            be.mul(hTop, in, rows(mN, r));
        }
        Tensor lg = rows(logits, r);
        be.gemm(lg, hTop, false, m.wy, false, 1f, 0f);
        for (int k = 0; k < l.steps(); k++) {
            Tensor lk = rows(lg, l.offsets[k], l.offsets[k] + l.counts[k]);
            be.add(lk, lk, rows(yC, l.counts[k]));
        }
        Tensor mk = rows(masks, r), y = rows(targets, r);
        be.gatherRows(mk, m.maskTable, index.view(r, r));
        be.add(lg, lg, mk);
        be.gatherRows(y, m.targetTable, index.view(2L * r, r));
        return be.softmaxCrossEntropy(gradient ? rows(dLogits, r) : null, lg, y);
    }

    /**
     * Backward of the last forward (which must have asked for the gradient) for the loss scale times its sum:
     * accumulates into the model's gradients (zero them first).
     */
    void backward(float scale) {
        NoteLayout l = lay;
        if (l.frames == 0) {
            be.fill(m.frame.hiddenGradient(), 0f);
            m.frame.backwardFromHidden(m.frame.hiddenGradient());
            return;
        }
        int frames = l.frames, r = l.rows, layers = m.hn.length;
        Tensor dl = rows(dLogits, r);
        be.scale(dl, scale);
        be.gemm(m.gWy, hTop, true, dl, false, 1f, 1f);                   // dWy += hN^T dlogits
        Tensor dyc = rows(dyC, frames), dgc = rows(dgC, frames);
        be.fill(dyc, 0f);
        be.fill(dgc, 0f);
        for (int k = 0; k < l.steps(); k++) {                            // dyC_i = sum over frame i's tokens
            Tensor d = rows(dyc, l.counts[k]);
            be.add(d, d, rows(dl, l.offsets[k], l.offsets[k] + l.counts[k]));
        }
        Tensor dhBuf = dhA, belowBuf = dhB;                               // the two alternate going down
        Tensor dh = dhBuf.view(0, r, m.hn[layers - 1]);
        be.gemm(dh, dl, false, m.wy, true, 1f, 0f);                      // dhN = dlogits Wy^T
        if (dropped) be.mul(dh, dh, rows(mN, r));
        for (int q = layers - 1; q >= 0; q--) {
            int hq = m.hn[q];
            Tensor dzq = dz.view(0, r, 4 * hq), dcq = dc.view(0, frames, hq);
            be.fill(dcq, 0f);
            for (int k = l.steps() - 1; k >= 0; k--) {                    // BPTT over the token steps
                int r0 = l.offsets[k], cnt = l.counts[k];
                Tensor dzk = rows(dzq, r0, r0 + cnt);
                Tensor cPrev = k == 0 ? null : rows(c[q], l.offsets[k - 1], l.offsets[k - 1] + cnt);
                be.lstmCellBackward(dzk, rows(dcq, cnt), rows(dh, r0, r0 + cnt), rows(z[q], r0, r0 + cnt), rows(c[q], r0, r0 + cnt), cPrev);
                if (k > 0) {
                    int p0 = l.offsets[k - 1];
                    be.gemm(rows(dh, p0, p0 + cnt), dzk, false, m.nh[q], true, 1f, 1f);       // dh_{k-1} += dz_k Nh^T
                    be.gemm(m.gNh[q], rows(h[q], p0, p0 + cnt), true, dzk, false, 1f, 1f);    // dNh += h_{k-1}^T dz_k
                }
                if (q == 0) be.add(rows(dgc, cnt), rows(dgc, cnt), dzk);                       // dgC_i = sum of dz^0
            }
            Tensor in = q == 0 ? rows(xs, r) : rows(h[q - 1], r);
            be.gemm(m.gNx[q], in, true, dzq, false, 1f, 1f);             // dNx += in^T dz
            be.columnSums(m.gNb[q], dzq, 1f, 1f);
            if (q > 0) {
                Tensor d = belowBuf.view(0, r, m.hn[q - 1]);
                be.gemm(d, dzq, false, m.nx[q], true, 1f, 0f);           // dh of the layer below = dz Nx^T
                Tensor swap = dhBuf;
                dhBuf = belowBuf;
                belowBuf = swap;
                dh = d;
            }
        }
        Tensor dhf = rows(dhFs, frames + 1);
        be.fill(dhf.at(frames), 0f);
        m.contextBackward(rows(dhf, frames), dgc, dyc, rows(hFs, frames), rows(us, frames));
        if (dropped) be.mul(rows(dhf, frames), rows(dhf, frames), rows(mF, frames));
        Tensor dhF = m.frame.hiddenGradient();                           // (T B, HF): padding slots get the zero row
        be.gatherRows(dhF, dhf, index.view(3L * r + frames, steps * batch));
        m.frame.backwardFromHidden(dhF);
    }

    /** log P(frame) of each frame of the last forward's layout, in its sorted order, in float64 from the logits. */
    double[] frameLogProbs() {
        NoteLayout l = lay;
        double[] out = new double[l.frames];
        float[] lg = new float[l.rows * classes];
        if (l.rows > 0) be.copyToHost(lg, 0, rows(logits, l.rows));
        for (int k = 0; k < l.steps(); k++) {
            for (int i = 0; i < l.counts[k]; i++) {
                int o = (l.offsets[k] + i) * classes;
                double mx = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < classes; j++) mx = Math.max(mx, lg[o + j]);
                for (int j = 0; j < classes; j++) s += Math.exp(lg[o + j] - mx);
                out[i] += lg[o + l.target(i, k)] - mx - Math.log(s);
            }
        }
        return out;
    }

    /** The last forward's layout. */
    NoteLayout layout() {
        return lay;
    }

    /** The last forward's frame rows in sorted order: the frame LSTM's top output (after dropout) (N, HF), the previous frames (N, n). */
    Tensor[] frameInputs() {
        return new Tensor[] {rows(hFs, lay.frames), rows(us, lay.frames)};
    }

    /** The last forward's dropout masks, for tests: frame rows (N, HF) and token rows (R, HN_top); null without dropout. */
    float[][] masks() {
        return dropped ? new float[][] {be.toArray(rows(mF, lay.frames)), be.toArray(rows(mN, lay.rows))} : null;
    }
}
