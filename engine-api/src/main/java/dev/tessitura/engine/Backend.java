package dev.tessitura.engine;

/**
 * The ops that Tessitura's models need, and nothing else. Implemented by the scalar reference and the SIMD backend
 * (module engine-cpu) and by the CUDA backend (engine-cuda); model code never names an implementation.
 *
 * <p>Conventions, the same for every op:
 * <ul>
 *   <li>Argument order: outputs first, then inputs, then scalars.</li>
 *   <li>A tensor is read as a {@link Tensor#rows()} x {@link Tensor#cols()} matrix; shapes are checked and a
 *       mismatch raises {@link IllegalArgumentException} naming the op and both shapes.</li>
 *   <li>Elementwise ops may run in place (output the very same view as an input); any other overlap of an
 *       output with an input is rejected. GEMM and the fused ops never allow an output to overlap an input.</li>
 *   <li>A "bias" argument is either a vector of length {@code cols} (the same for every row) or a matrix of the
 *       output's shape (one bias row per row, as the RNN-RBM's time-dependent biases bv(t), bh(t)).</li>
 *   <li>Ops may run asynchronously (GPU); {@link #copyToHost}, {@link #sum} and {@link #sumOfSquares} wait.</li>
 *   <li>Random ops consume their {@link Rng} as described in {@link Philox}: a draw of n elements takes
 *       ceil(n/4) blocks, so every backend produces the same numbers and leaves the same position.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** Short name used to select it: "scalar", "simd", "cuda". */
    String name();

    /** One line for humans, e.g. "simd: Vector API, 512-bit, 2 threads". */
    String description();

    // ---------------------------------------------------------------- memory

    /** A new zero-filled tensor. */
    Tensor zeros(int... shape);

    /** A new tensor holding a copy of {@code data} (its length must equal the shape's size). */
    default Tensor of(float[] data, int... shape) {
        Tensor t = zeros(shape);
        if (data.length != t.size()) {
            throw new IllegalArgumentException("of: " + data.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        copyFromHost(t, data, 0);
        return t;
    }

    /** dst = src[srcOffset .. srcOffset + dst.size()). */
    void copyFromHost(Tensor dst, float[] src, int srcOffset);

    /** dst[dstOffset .. dstOffset + src.size()) = src; waits for pending work on src. */
    void copyToHost(float[] dst, int dstOffset, Tensor src);

    /** A new Java array with the tensor's elements, row-major. */
    default float[] toArray(Tensor src) {
        float[] a = new float[Math.toIntExact(src.size())];
        copyToHost(a, 0, src);
        return a;
    }

    /** Waits until all queued work is done (a no-op on the CPU). */
    void synchronize();

    /**
     * Whether ops only queue work (a GPU): then every host read ({@link #copyToHost}, {@link #sum}, ...) waits for all
     * that is queued, and a caller that can put its reads off keeps the device busy meanwhile. False on the CPU, where
     * an op has finished when it returns and a read costs nothing extra.
     */
    default boolean asynchronous() {
        return false;
    }

    /** Ops recorded by {@link Backend#record}, issued again as one unit. */
    interface Recording extends AutoCloseable {
        /** Issues the recorded ops again; their draws continue from the Rng's position, which advances as the body's did. */
        void replay();

        /** Frees what the recording holds; it cannot be replayed after. */
        @Override
        void close();
    }

    /**
     * Runs {@code body}, a sequence of this backend's ops, and returns a recording that {@link Recording#replay}
     * issues again as one unit; or null where the backend gains nothing from that (the CPU: this default, where body
     * has simply run). The GPU records a CUDA graph: one launch in place of one per op. A replay issues the same ops on
     * the same tensors with the same scalars (shapes, learning rates), so body must be the same every time; it must not
     * read anything back to the host or allocate a tensor (run it once before recording, so that its workspace
     * exists), and it may draw only from {@code rng}: each replay draws from rng's position then and advances rng as
     * body did. Anything else body does on the host is not replayed. Its tensors must outlive the recording. Where the
     * device cannot record body (a capture the driver refuses), this throws with rng back where it was and nothing of
     * body run on the device: undo the rest of its host side to run it again op by op.
     */
    default Recording record(Runnable body, Rng rng) {
        body.run();
        return null;
    }

    // ---------------------------------------------------------------- BLAS-like

    /**
     * C = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T. With beta = 1 and transA this accumulates weight
     * gradients (dW += x^T * dy). C (m, n), op(A) (m, k), op(B) (k, n); k = 0 scales C by beta.
     */
    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta);

    /**
     * out (cols, rows) = a^T for a (rows, cols); out must not share memory with a. For a weight used transposed at
     * every step of a recurrence (the LSTM's dh_{t-1} = dz_t Wh^T): formed once, the per-step products then read
     * it in place.
     */
    void transpose(Tensor out, Tensor a);

    /** out[i, j] = x[i, j] + bias[j]: a bias vector broadcast over rows. */
    void addRowVector(Tensor out, Tensor x, Tensor bias);

    /** out[j] = alpha * sum_i x[i, j] + beta * out[j]: sums down each column, e.g. a bias gradient over a batch. */
    void columnSums(Tensor out, Tensor x, float alpha, float beta);

    /** out[i] = alpha * sum_j x[i, j] + beta * out[i]: sums along each row. */
    void rowSums(Tensor out, Tensor x, float alpha, float beta);

    /** y += alpha * x. */
    void axpy(Tensor y, Tensor x, float alpha);

    /** x *= alpha. */
    void scale(Tensor x, float alpha);

    /** x = value everywhere. */
    void fill(Tensor x, float value);

    /** dst = src (same size; shapes may differ). */
    void copy(Tensor dst, Tensor src);

    /**
     * dst row r = src row rows[r]: a minibatch assembled where the data already is (the batched RNN-RBM's B chunks,
     * time-major, from an epoch's frames held on the backend once), so that an update copies nothing from the host.
     * dst (n, c); src (m, c); rows (n) holds row indices as floats, whole numbers in [0, m) (exact up to 2^24); dst
     * shares no memory with src or rows. This default reads the indices on the host (one wait on a GPU) and copies
     * row by row; an index that is not a row of src is an IllegalArgumentException here, a row of NaN on a GPU.
     */
    default void gatherRows(Tensor dst, Tensor src, Tensor rows) {
        Checks.gatherRows(this, dst, src, rows);
        float[] at = toArray(rows);
        int[] from = new int[at.length];   // every index checked before dst is touched
        for (int r = 0; r < at.length; r++) from[r] = Checks.rowIndex("gatherRows", at[r], src.rows());
        for (int r = 0; r < at.length; r++) copy(dst.at(r), src.at(from[r]));
    }

    /** Sum of all elements, accumulated in float64 in a fixed order. */
    double sum(Tensor x);

    /** Sum of squares of all elements, in float64 (gradient norms; NaN or inf shows up here). */
    double sumOfSquares(Tensor x);

    /**
     * out (1) = the sum of squares of x's elements, left on the backend: a GPU computes it without a wait (a trainer's
     * gradient norm, read later with its cost). This default is {@link #sumOfSquares(Tensor)} written to out: a finite
     * sum beyond float's range as Float.MAX_VALUE (still finite), inf and NaN as themselves. out shares no memory with x.
     */
    default void sumOfSquares(Tensor x, Tensor out) {
        Checks.sumOfSquares(this, x, out);
        double s = sumOfSquares(x);
        copyFromHost(out, new float[] {Double.isFinite(s) ? (float) Math.min(s, Float.MAX_VALUE) : (float) s}, 0);
    }

    // ---------------------------------------------------------------- elementwise

    /** out = a + b. */
    void add(Tensor out, Tensor a, Tensor b);

    /** out = a - b. */
    void sub(Tensor out, Tensor a, Tensor b);

    /** out = a * b (elementwise). */
    void mul(Tensor out, Tensor a, Tensor b);

    /** out += a * b (elementwise). */
    void addMul(Tensor out, Tensor a, Tensor b);

    /** out = min(max(x, lo), hi). */
    void clip(Tensor out, Tensor x, float lo, float hi);

    /** out = 1 / (1 + exp(-x)). */
    void sigmoid(Tensor out, Tensor x);

    /** out = tanh(x). */
    void tanh(Tensor out, Tensor x);

    /** out = log(1 + exp(x)), without overflow for large x. */
    void softplus(Tensor out, Tensor x);

    /** out = log(sigmoid(x)) = -softplus(-x). */
    void logSigmoid(Tensor out, Tensor x);

    /** out = exp(x). */
    void exp(Tensor out, Tensor x);

    /** dx = dy * y * (1 - y), where y = sigmoid(x). */
    void sigmoidBackward(Tensor dx, Tensor dy, Tensor y);

    /** dx = dy * (1 - y^2), where y = tanh(x). */
    void tanhBackward(Tensor dx, Tensor dy, Tensor y);

    // ---------------------------------------------------------------- random

    /** out = uniforms in [0, 1) from the next ceil(n/4) blocks of rng. */
    void uniform(Tensor out, Rng rng);

    /** out = 1 where u < p else 0, u the uniforms of the next ceil(n/4) blocks of rng; p in [0, 1]. */
    void bernoulli(Tensor out, Tensor p, Rng rng);

    // ---------------------------------------------------------------- fused RBM ops

    /**
     * One Gibbs half-step: prob = sigmoid(x * op(W) + bias), sample = bernoulli(prob) with one draw of
     * sample.size() elements from rng. x (B, n_in); op(W) (n_in, n_out); bias (n_out) or (B, n_out);
     * sample and prob (B, n_out). {@code prob} may be null when only the sample is wanted.
     */
    void gibbsHalfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng);

    /**
     * k steps of block Gibbs sampling for B RBM conditionals at once: for s = 1..k,
     * h ~ P(h | v) = bernoulli(sigmoid(v W + bh)) and then v ~ P(v | h) = bernoulli(sigmoid(h W^T + bv)).
     * v (B, nv) holds the starting point and receives the k-th visible sample; W (nv, nh); bv (nv) or (B, nv);
     * bh (nh) or (B, nh); vProb (B, nv) or null receives P(v | h) of the last step.
     * Random draws: exactly those of the 2k half-steps in order (hidden draw of B*nh, then visible of B*nv).
     */
    void gibbsChain(Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k, Rng rng);

    /**
     * RBM free energy of each row: f[b] = -v[b].bv[b] - sum_j softplus((v[b] W)_j + bh[b, j]).
     * f (B); v (B, nv); W (nv, nh); bv (nv) or (B, nv); bh (nh) or (B, nh).
     */
    void freeEnergy(Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh);

    /**
     * Accumulates the gradient of alpha * sum_b F(v[b]) (so alpha = 1/T for the data term and -1/T for the
     * negative sample of the RNN-RBM's cost): with s = sigmoid(v W + bh),
     * dW += -alpha v^T s; dBv += -alpha v; dBh += -alpha s.
     * dBv is (B, nv) per row or (nv) summed over rows, likewise dBh; any gradient may be null to skip it.
     */
    void freeEnergyGrad(Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh, float alpha);

    // ---------------------------------------------------------------- NADE

    /**
     * NADE (Larochelle and Murray 2011) over each of T frames (rows), the units in index order: with a_0 = bh(t),
     * <pre>
     *   h_i = sigmoid(a_i),   p_i = P(v_i = 1 | v_&lt;i) = sigmoid(bv_i(t) + h_i . V[:, i]),   a_{i+1} = a_i + v_i W[i, :]
     *   logp[t] = sum_i v_i log p_i + (1 - v_i) log(1 - p_i)
     * </pre>
     * logp (T) in float64 then rounded; p (T, nv) every conditional; v (T, nv) with values in [0, 1] (0/1 for music);
     * W (nv, nh); V (nh, nv); bv (nv) or (T, nv); bh (nh) or (T, nh). Outputs share no memory with anything.
     */
    void nadeForward(Tensor logp, Tensor p, Tensor v, Tensor w, Tensor vw, Tensor bv, Tensor bh);

    /**
     * ACCUMULATES alpha times the gradients of -sum_t logp[t] of {@link #nadeForward} (p is its output for the same
     * v, W, V, biases): with ds_i = alpha (p_i - v_i) and da_nv = 0, for i = nv-1 .. 0:
     * <pre>
     *   dW[i, :] += v_i da_{i+1};   dV[:, i] += ds_i h_i;   dBv_i += ds_i;   da_i = da_{i+1} + ds_i V[:, i] h_i (1 - h_i)
     * </pre>
     * and dBh += da_0. The a_i are recomputed in the forward pass's order (a_0 = bh, then + v_i W[i, :]), so h_i has
     * the forward's bits: walking down with a_i = a_{i+1} - v_i W[i, :] would need no memory, but its roundings
     * would drift from the forward's by up to about 2^-24 sum_k |v_k W[k, :]| per unit. dW (nv, nh); dV (nh, nv);
     * dBv (T, nv) per row or (nv) summed over rows; dBh (T, nh) or (nh) likewise; v, p (T, nv); bh (nh) or (T, nh).
     */
    void nadeBackward(Tensor dW, Tensor dV, Tensor dBv, Tensor dBh, Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bh,
                      float alpha);

    /**
     * Exact ancestral sampling of T frames: v_i = 1 when u_i &lt; p_i (the conditional of {@link #nadeForward} given
     * the v_&lt;i drawn so far), else 0, written with p_i into v and p (T, nv). Random draws: one draw of T nv elements
     * as {@link #bernoulli}'s, unit i of row t taking element t nv + i, so the same frames on every backend (up to
     * |u - p| &lt; 2e-5 where p's last bits differ) and nadeForward of the frames gives the same p.
     */
    void nadeSample(Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bv, Tensor bh, Rng rng);

    // ---------------------------------------------------------------- fused LSTM cell and layer

    /**
     * One LSTM step for B rows. z (B, 4H) holds the gates' pre-activations in column blocks (i, f, g, o) and is
     * overwritten with their activations i = sigmoid, f = sigmoid, g = tanh, o = sigmoid (the backward pass needs
     * them); then c = f * cPrev + i * g and h = o * tanh(c). h, c (B, H); cPrev (B, H), or null for c_0 = 0.
     * One op because the GPU runs it as one kernel; c may not alias cPrev (the backward pass needs both).
     */
    void lstmCell(Tensor h, Tensor c, Tensor z, Tensor cPrev);

    /**
     * Backward of {@link #lstmCell}. dh (B, H) is the gradient reaching h_t (from the layer above and from step t+1);
     * dc (B, H) the gradient reaching c_t from step t+1, replaced by the one reaching c_{t-1}. Writes dz (B, 4H), the
     * gradient of the gate pre-activations. z holds the activations lstmCell left; c, cPrev (or null) as there.
     * With dC = dc + dh o (1 - tanh^2 c): dz_i = dC g i (1 - i), dz_f = dC cPrev f (1 - f), dz_g = dC i (1 - g^2),
     * dz_o = dh tanh(c) o (1 - o), and dc becomes dC f.
     */
    void lstmCellBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev);

    /**
     * The recurrent half of an LSTM layer's forward pass over T steps of B = {@code batch} rows, time-major (step s is
     * rows [s B, (s + 1) B) of every tensor): for s = 0 .. T-1, z_s += h_{s-1} Wh, then {@link #lstmCell}(h_s, c_s,
     * z_s, c_{s-1}). z (T B, 4H) holds x Wx + b on entry; h, c (T B, H); Wh (H, 4H). h_{-1} and c_{-1} are h0 and c0
     * (B, H), the state carried from a previous minibatch; a null h0 means h_{-1} = 0 (no product at step 0), a
     * null c0 means c_{-1} = 0. One op so that a backend can run the T dependent steps without a hand-over per step:
     * rows never depend on each other, so the CPU gives each thread its rows for all T steps and the GPU a thread block
     * each sequence, Wh in its shared memory.
     */
    default void lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        int steps = Checks.lstmLayer(this, "lstmForward", z, wh, batch, h0, c0, h, c);
        for (int s = 0; s < steps; s++) {
            Tensor zs = z.slice(s * batch, (s + 1) * batch);
            Tensor hPrev = s > 0 ? h.slice((s - 1) * batch, s * batch) : h0;
            Tensor cPrev = s > 0 ? c.slice((s - 1) * batch, s * batch) : c0;
            if (hPrev != null) gemm(zs, hPrev, false, wh, false, 1f, 1f);
            lstmCell(h.slice(s * batch, (s + 1) * batch), c.slice(s * batch, (s + 1) * batch), zs, cPrev);
        }
    }

    /**
     * Backpropagation through the T steps of {@link #lstmForward}: for s = T-1 .. 0,
     * {@link #lstmCellBackward}(dz_s, dc, dh_s, z_s, c_s, c_{s-1}), then dh_{s-1} += dz_s Wh^T for s > 0. dh (T B, H)
     * holds on entry the gradient reaching each h_s from above (the read-out or the next layer) and is updated in
     * place; dc (B, H) the gradient reaching c_{T-1} (zero at the end of a truncated chunk), left as the one reaching
     * c_{-1}; dz (T B, 4H) written. z, c, c0 as {@link #lstmForward} left or took them.
     */
    default void lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        int steps = Checks.lstmLayer(this, "lstmBackward", z, wh, batch, c0, null, dh, c);
        for (int s = steps - 1; s >= 0; s--) {
            Tensor dzs = dz.slice(s * batch, (s + 1) * batch);
            Tensor cPrev = s > 0 ? c.slice((s - 1) * batch, s * batch) : c0;
            lstmCellBackward(dzs, dc, dh.slice(s * batch, (s + 1) * batch), z.slice(s * batch, (s + 1) * batch),
                    c.slice(s * batch, (s + 1) * batch), cPrev);
            if (s > 0) gemm(dh.slice((s - 1) * batch, s * batch), dzs, false, wh, true, 1f, 1f);
        }
    }

    // ---------------------------------------------------------------- the tanh recurrence

    /**
     * The tanh recurrence of the RNN-RBM, (3) of the paper, over T steps of B = {@code batch} independent sequences,
     * time-major (step t is rows [t B, (t + 1) B)): for t = 1 .. T, u(t) = tanh(a(t) + u(t-1) Wuu). u ((T+1) B, n)
     * holds u(0) in rows [0, B) and a(t) = bu + v(t) Wvu in step t's rows on entry, and u(t) there on return;
     * Wuu (n, n). One op so that a backend can run the T dependent products without a call per step (the CPU packs
     * Wuu once for all of them; the GPU walks all T steps in one launch, a thread block per sequence).
     */
    default void tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        int steps = Checks.tanhRecurrence(this, "tanhRecurrence", u, wuu, null, null, batch);
        for (int t = 1; t <= steps; t++) {
            Tensor ut = u.slice(t * batch, (t + 1) * batch);
            gemm(ut, u.slice((t - 1) * batch, t * batch), false, wuu, false, 1f, 1f);
            tanh(ut, ut);
        }
    }

    /**
     * Backpropagation through {@link #tanhRecurrence}: for t = T .. 1, da(t) = du(t) (1 - u(t)^2)
     * ({@link #tanhBackward}), then du(t-1) += da(t) Wuu^T. du ((T+1) B, n) holds on entry the gradient reaching each
     * u(t) from elsewhere (the bias maps, the next chunk) and is updated in place, rows [0, B) ending as the gradient
     * reaching u(0); da (T B, n) is written, step t's rows [(t-1) B, t B) holding da(t); u ((T+1) B, n) as
     * tanhRecurrence left it.
     */
    default void tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        int steps = Checks.tanhRecurrence(this, "tanhRecurrenceBackward", u, wuu, da, du, batch);
        for (int t = steps; t >= 1; t--) {
            Tensor dat = da.slice((t - 1) * batch, t * batch);
            tanhBackward(dat, du.slice(t * batch, (t + 1) * batch), u.slice(t * batch, (t + 1) * batch));
            gemm(du.slice((t - 1) * batch, t * batch), dat, false, wuu, true, 1f, 1f);
        }
    }

    // ---------------------------------------------------------------- AIS

    /**
     * The hidden half of one annealed-importance-sampling temperature over R chains (the model's Ais): with
     * y = x + bh (bh a vector, or one row per chain),
     * <pre>
     *   w[r] += sum_j softplus(beta y_rj) - sum_j softplus(betaPrev y_rj)      (first + the current term, then - the previous)
     * </pre>
     * the hidden terms of F_{k-1}(v) - F_k(v), and, unless h is null, h = bernoulli(sigmoid(beta y)) with one draw of
     * R nh elements, as {@link #bernoulli}'s. x (R, nh) holds v W on entry and y on return; w (R); h (R, nh). One op
     * so that a backend can make the two softplus sums, the weight update and the draw one pass over x instead of
     * ten (the GPU: a block per chain). This default runs the per-op sequence the model ran before, with temporaries.
     */
    default void aisHidden(Tensor w, Tensor h, Tensor x, Tensor bh, float betaPrev, float beta, Rng rng) {
        boolean bhRow = Checks.aisHidden(this, w, h, x, bh);
        int rows = x.rows(), nh = x.cols();
        aisHiddenSteps(this, w, h, x, bh, bhRow, betaPrev, beta, rng, zeros(rows, nh), zeros(rows, nh), zeros(rows), zeros(rows));
    }

    /**
     * {@link #aisHidden} as a sequence of this backend's ops, with scratch z, sp (R, nh) and fPrev, fCur (R): the
     * default, and the bits a CPU backend that keeps its scratch must give.
     */
    static void aisHiddenSteps(Backend be, Tensor w, Tensor h, Tensor x, Tensor bh, boolean bhRow, float betaPrev, float beta,
                               Rng rng, Tensor z, Tensor sp, Tensor fPrev, Tensor fCur) {
        if (bhRow) be.add(x, x, bh);
        else be.addRowVector(x, x, bh);
        be.copy(z, x);
        be.scale(z, betaPrev);
        be.softplus(sp, z);
        be.rowSums(fPrev, sp, 1f, 0f);
        be.copy(z, x);
        be.scale(z, beta);                                               // z = beta y, kept for the hidden draw
        be.softplus(sp, z);
        be.rowSums(fCur, sp, 1f, 0f);
        be.axpy(w, fCur, 1f);
        be.axpy(w, fPrev, -1f);
        if (h != null) {
            be.sigmoid(sp, z);
            be.bernoulli(h, sp, rng);
        }
    }

    /**
     * The visible half of one AIS temperature over R chains, after {@link #aisHidden} drew h: with the interpolated
     * visible bias bv_beta = beta bv + (1 - beta) a (bv itself when a is null),
     * <pre>
     *   w[r] += (beta - betaPrev) v_r.bv_r + (betaPrev - beta) v_r.a_r      (only when a is not null)
     * </pre>
     * the visible terms of F_{k-1}(v) - F_k(v) for the v on entry, and then, unless x is null, the Gibbs move
     * v = bernoulli(sigmoid(x + bv_beta)) with one draw of R nv elements, as {@link #bernoulli}'s. w (R); v (R, nv);
     * x (R, nv) holds beta h W^T on entry and is scratch afterwards; bv (nv) or (R, nv), a null or of bv's shape (the
     * base-rate model's biases). One op so that a backend can make the two dot products, the weight update, the bias
     * mix and the draw one pass over v instead of about twelve (the GPU: a block per chain). This default runs the
     * per-op sequence the model ran before, with temporaries.
     */
    default void aisVisible(Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a, float betaPrev, float beta, Rng rng) {
        boolean bvRow = Checks.aisVisible(this, w, v, x, bv, a);
        int rows = v.rows(), nv = v.cols();
        aisVisibleSteps(this, w, v, x, bv, bvRow, a, betaPrev, beta, rng, zeros(rows, nv), zeros(rows), zeros(rows),
                zeros(Math.toIntExact(bv.size())));
    }

    /**
     * {@link #aisVisible} as a sequence of this backend's ops, with scratch t (R, nv), va, vb (R) and bvMix of bv's
     * size: the default, and the bits a CPU backend that keeps its scratch must give.
     */
    static void aisVisibleSteps(Backend be, Tensor w, Tensor v, Tensor x, Tensor bv, boolean bvRow, Tensor a, float betaPrev,
                                float beta, Rng rng, Tensor t, Tensor va, Tensor vb, Tensor bvMix) {
        Tensor bias = bv;
        if (a != null) {
            for (int q = 0; q < 2; q++) {                                 // vb = v.bv, va = v.a, row by row
                Tensor b = q == 0 ? bv : a;
                if (bvRow) be.mul(t, v, b);
                else {
                    be.fill(t, 0f);
                    be.addRowVector(t, t, b);
                    be.mul(t, t, v);
                }
                be.rowSums(q == 0 ? vb : va, t, 1f, 0f);
            }
            be.axpy(w, vb, beta - betaPrev);
            be.axpy(w, va, betaPrev - beta);
            bias = bvMix.reshape(bv.shape());
            if (x != null) {                                              // bv_beta = beta bv + (1 - beta) a
                be.copy(bias, bv);
                be.scale(bias, beta);
                be.axpy(bias, a, 1f - beta);
            }
        }
        if (x == null) return;
        if (bvRow) be.add(x, x, bias);
        else be.addRowVector(x, x, bias);
        be.sigmoid(x, x);
        be.bernoulli(v, x, rng);
    }

    // ---------------------------------------------------------------- optimizers

    /**
     * One Adam step (Kingma and Ba, 2015) on a parameter block p with gradient g and moments m, v (all the same size):
     * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),
     * t = step >= 1.
     */
    void adam(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int step);

    /**
     * One step of classical momentum or, with {@code nesterov}, of Nesterov's accelerated gradient in the form of
     * Bengio, Boulanger-Lewandowski and Pascanu (2013, eq. 7), on a parameter block p with gradient g and velocity v
     * (all the same size): v = mu v - lr g; then p += v, or p += mu v - lr g. One op so that a GPU runs it as one
     * kernel (one graph node instead of three or four); this default is the op sequence (scale, then axpys), whose
     * float roundings every backend's result has.
     */
    default void momentum(Tensor p, Tensor g, Tensor v, float lr, float mu, boolean nesterov) {
        Checks.optimizer(this, "momentum", p, g, v);
        scale(v, mu);
        axpy(v, g, -lr);
        if (nesterov) {
            axpy(p, v, mu);
            axpy(p, g, -lr);
        } else {
            axpy(p, v, 1f);
        }
    }

    /** One RMSprop step (Tieleman and Hinton, 2012): r = decay r + (1 - decay) g^2; p -= lr g / (sqrt(r) + eps). */
    void rmsprop(Tensor p, Tensor g, Tensor r, float lr, float decay, float eps);

    // ---------------------------------------------------------------- softmax outputs

    /**
     * Row-wise softmax cross-entropy for categorical outputs (the monophonic melody model's events): with
     * q = softmax(logits row), returns sum over rows of -sum_j targets_j log q_j (float64, waits) and, when dLogits is
     * not null, writes its gradient q - targets. Targets are one-hot or probabilities; a row of all-zero targets is
     * padding and contributes neither loss nor gradient. logits, targets, dLogits (B, n).
     */
    double softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor targets);

    /** out = softmax(x) row by row (max-subtracted, so large logits do not overflow). */
    void softmax(Tensor out, Tensor x);

    /** Frees what the backend holds (threads, device memory). Tensors of a closed backend must not be used. */
    @Override
    void close();
}
