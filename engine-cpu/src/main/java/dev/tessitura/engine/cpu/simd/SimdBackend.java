package dev.tessitura.engine.cpu.simd;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.HeapStorage;
import dev.tessitura.engine.cpu.simd.SimdElementwise.Binary;
import dev.tessitura.engine.cpu.simd.SimdElementwise.Unary;

/**
 * The Vector API backend: the same tensors as the scalar reference (a {@link HeapStorage} float[] per allocation,
 * row-major) with vectorised, multi-threaded kernels. Created reflectively by
 * {@link dev.tessitura.engine.cpu.SimdProvider} so that no Vector API type is linked when the module is absent.
 *
 * <p>This class holds what the ops share (the vector width, the worker pool, the GEMM, the Philox generator, the
 * recurrences' packed weights) and hands each op to the class of its section of {@link Backend}: {@link SimdBlas},
 * {@link SimdElementwise}, {@link SimdRandom}, {@link SimdRbm}, {@link SimdNade}, {@link SimdLstm}, {@link SimdTanhRecurrence},
 * {@link SimdAis}, {@link SimdOptimizers}, {@link SimdSoftmax}. gatherRows, sumOfSquares into a tensor and momentum
 * are the interface's defaults, sequences of the ops here.
 *
 * <p>Determinism: work is split among threads only over independent outputs (rows of a GEMM, elements, fixed
 * chunks of a sum whose partial sums are then added in chunk order), so results are bit-identical for any thread
 * count. They may differ in the last bits between vector widths (the lane count sets the order of a row sum).
 *
 * <p>Each op of one instance must be called from one thread at a time (like a CUDA stream).
 */
public final class SimdBackend implements Backend {

    /** Below this many flops (2 m n k) a GEMM runs on the calling thread alone: handing it to the pool costs more. */
    static final long GEMM_PARALLEL_FLOPS = 1_000_000;
    /** Elementwise transcendental ops and Philox draws go parallel from this many elements. */
    static final int HEAVY_PARALLEL_ELEMENTS = 1 << 15;
    /** Plain elementwise ops and sums (memory bound) go parallel from this many elements. */
    static final int LIGHT_PARALLEL_ELEMENTS = 1 << 18;

    final Lanes lanes;
    final SimdGemm gemm;
    final SimdGemmRows gemmRows;
    final SimdPhilox philox;
    final WorkerPool pool;

    private final SimdBlas blas;
    private final SimdElementwise elementwise;
    final SimdRandom random;
    final SimdRbm rbm;
    private final SimdNade nade;
    private final SimdLstm lstm;
    private final SimdTanhRecurrence recurrence;
    private final SimdAis ais;
    private final SimdOptimizers optimizers;
    private final SimdSoftmax softmax;

    public SimdBackend(BackendOptions options) {
        this.lanes = Lanes.of(options.vectorBits());
        this.gemm = new SimdGemm(lanes);
        this.gemmRows = new SimdGemmRows(gemm);
        this.philox = new SimdPhilox(lanes);
        this.pool = new WorkerPool(options.resolvedThreads());
        this.blas = new SimdBlas(this);
        this.elementwise = new SimdElementwise(this);
        this.random = new SimdRandom(this);
        this.rbm = new SimdRbm(this);
        this.nade = new SimdNade(this);
        this.lstm = new SimdLstm(this);
        this.recurrence = new SimdTanhRecurrence(this);
        this.ais = new SimdAis(this);
        this.optimizers = new SimdOptimizers(this);
        this.softmax = new SimdSoftmax(this);
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public String description() {
        return "simd: Vector API, " + lanes.bits() + "-bit (preferred " + Lanes.preferredBits() + "), "
                + pool.threads() + (pool.threads() == 1 ? " thread" : " threads");
    }

    /** Vector width in bits. */
    public int vectorBits() {
        return lanes.bits();
    }

    /** Worker threads, the calling one included. */
    public int threads() {
        return pool.threads();
    }

    @Override
    public void close() {
        pool.close();
    }

    // ---------------------------------------------------------------- shared by the sections

    static float[] data(Tensor t) {
        return HeapStorage.data(t);
    }

    static int off(Tensor t) {
        return (int) t.offset();
    }

    static boolean parallelGemm(int m, int n, int k) {
        return 2L * m * n * k >= GEMM_PARALLEL_FLOPS;
    }

    /** Runs {@code body} over [0, n), in parallel chunks from {@code minParallel} elements on. */
    void split(int n, int minParallel, WorkerPool.RangeTask body) {
        // The body always runs on chunks of 4,096 elements, on one thread or several. Called once per op over a whole
        // tensor, a body would be entered a few times per training step: HotSpot compiles such a method with C2 only
        // after hundreds of calls, and until then each call runs thousands of iterations in C1's code, where the
        // Vector API is not intrinsified and every vector is a heap object (the loss's sigmoid and softplus took ~17 %
        // of an LSTM step that way).
        int chunk = 1 << 12;   // a multiple of every lane count, so chunk tails are only at the very end
        int chunks = (n + chunk - 1) / chunk;
        pool.forRange(chunks, n >= minParallel, (from, to) -> {
            for (int c = from; c < to; c++) body.run(c * chunk, Math.min(n, (c + 1) * chunk));
        });
    }

    // Wh packed (or Wh^T, transposed and packed) for lstmForward / lstmBackward, Wuu's panels for the tanh
    // recurrence: kept between calls
    private float[] recurrentPacked = new float[0], recurrentTransposed = new float[0];

    /** The recurrences' buffer for a packed weight matrix: at least n floats, kept between calls. */
    float[] recurrentPacked(int n) {
        return recurrentPacked = atLeast(recurrentPacked, n);
    }

    /** The recurrences' buffer for a transposed weight matrix: at least n floats, kept between calls. */
    float[] recurrentTransposed(int n) {
        return recurrentTransposed = atLeast(recurrentTransposed, n);
    }

    /** {@code a} if it holds n floats, else a new array that does. */
    private static float[] atLeast(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor zeros(int... shape) {
        return HeapStorage.zeros(this, shape);
    }

    @Override
    public void copyFromHost(Tensor dst, float[] src, int srcOffset) {
        HeapStorage.copyFromHost(this, dst, src, srcOffset);
    }

    @Override
    public void copyToHost(float[] dst, int dstOffset, Tensor src) {
        HeapStorage.copyToHost(this, dst, dstOffset, src);
    }

    @Override
    public void synchronize() {
        // every op has finished when it returns
    }

    // ---------------------------------------------------------------- BLAS-like

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        blas.gemm(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void transpose(Tensor out, Tensor a) {
        blas.transpose(out, a);
    }

    @Override
    public void addRowVector(Tensor out, Tensor x, Tensor bias) {
        blas.addRowVector(out, x, bias);
    }

    @Override
    public void columnSums(Tensor out, Tensor x, float alpha, float beta) {
        blas.columnSums(out, x, alpha, beta);
    }

    @Override
    public void rowSums(Tensor out, Tensor x, float alpha, float beta) {
        blas.rowSums(out, x, alpha, beta);
    }

    @Override
    public void axpy(Tensor y, Tensor x, float alpha) {
        blas.axpy(y, x, alpha);
    }

    @Override
    public void scale(Tensor x, float alpha) {
        blas.scale(x, alpha);
    }

    @Override
    public void fill(Tensor x, float value) {
        blas.fill(x, value);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        blas.copy(dst, src);
    }

    @Override
    public double sum(Tensor x) {
        return blas.sum(x);
    }

    @Override
    public double sumOfSquares(Tensor x) {
        return blas.sumOfSquares(x);
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        elementwise.binary("add", Binary.ADD, out, a, b);
    }

    @Override
    public void sub(Tensor out, Tensor a, Tensor b) {
        elementwise.binary("sub", Binary.SUB, out, a, b);
    }

    @Override
    public void mul(Tensor out, Tensor a, Tensor b) {
        elementwise.binary("mul", Binary.MUL, out, a, b);
    }

    @Override
    public void addMul(Tensor out, Tensor a, Tensor b) {
        elementwise.binary("addMul", Binary.ADD_MUL, out, a, b);
    }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        elementwise.clip(out, x, lo, hi);
    }

    @Override
    public void sigmoid(Tensor out, Tensor x) {
        elementwise.unary("sigmoid", Unary.SIGMOID, out, x);
    }

    @Override
    public void tanh(Tensor out, Tensor x) {
        elementwise.unary("tanh", Unary.TANH, out, x);
    }

    @Override
    public void softplus(Tensor out, Tensor x) {
        elementwise.unary("softplus", Unary.SOFTPLUS, out, x);
    }

    @Override
    public void logSigmoid(Tensor out, Tensor x) {
        elementwise.unary("logSigmoid", Unary.LOG_SIGMOID, out, x);
    }

    @Override
    public void exp(Tensor out, Tensor x) {
        elementwise.unary("exp", Unary.EXP, out, x);
    }

    @Override
    public void sigmoidBackward(Tensor dx, Tensor dy, Tensor y) {
        elementwise.sigmoidBackward(dx, dy, y);
    }

    @Override
    public void tanhBackward(Tensor dx, Tensor dy, Tensor y) {
        elementwise.tanhBackward(dx, dy, y);
    }

    // ---------------------------------------------------------------- random

    @Override
    public void uniform(Tensor out, Rng rng) {
        random.uniform(out, rng);
    }

    @Override
    public void bernoulli(Tensor out, Tensor p, Rng rng) {
        random.bernoulli(out, p, rng);
    }

    // ---------------------------------------------------------------- fused RBM ops

    @Override
    public void gibbsHalfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng) {
        rbm.gibbsHalfStep(sample, prob, x, w, transW, bias, rng);
    }

    @Override
    public void gibbsChain(Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k, Rng rng) {
        rbm.gibbsChain(v, vProb, w, bv, bh, k, rng);
    }

    @Override
    public void freeEnergy(Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh) {
        rbm.freeEnergy(f, v, w, bv, bh);
    }

    @Override
    public void freeEnergyGrad(Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh, float alpha) {
        rbm.freeEnergyGrad(dW, dBv, dBh, v, w, bh, alpha);
    }

    // ---------------------------------------------------------------- NADE

    @Override
    public void nadeForward(Tensor logp, Tensor p, Tensor v, Tensor w, Tensor vw, Tensor bv, Tensor bh) {
        nade.forward(logp, p, v, w, vw, bv, bh);
    }

    @Override
    public void nadeBackward(Tensor dW, Tensor dV, Tensor dBv, Tensor dBh, Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bh,
                             float alpha) {
        nade.backward(dW, dV, dBv, dBh, v, p, w, vw, bh, alpha);
    }

    @Override
    public void nadeSample(Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bv, Tensor bh, Rng rng) {
        nade.sample(v, p, w, vw, bv, bh, rng);
    }

    // ---------------------------------------------------------------- fused LSTM cell and layer

    @Override
    public void lstmCell(Tensor h, Tensor c, Tensor z, Tensor cPrev) {
        lstm.lstmCell(h, c, z, cPrev);
    }

    @Override
    public void lstmCellBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev) {
        lstm.lstmCellBackward(dz, dc, dh, z, c, cPrev);
    }

    @Override
    public void lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        lstm.lstmForward(h, c, z, wh, h0, c0, batch);
    }

    @Override
    public void lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        lstm.lstmBackward(dz, dc, dh, z, c, c0, wh, batch);
    }

    // ---------------------------------------------------------------- the tanh recurrence

    @Override
    public void tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        recurrence.tanhRecurrence(u, wuu, batch);
    }

    @Override
    public void tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        recurrence.tanhRecurrenceBackward(da, du, u, wuu, batch);
    }

    // ---------------------------------------------------------------- AIS

    @Override
    public void aisHidden(Tensor w, Tensor h, Tensor x, Tensor bh, float betaPrev, float beta, Rng rng) {
        ais.aisHidden(w, h, x, bh, betaPrev, beta, rng);
    }

    @Override
    public void aisVisible(Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a, float betaPrev, float beta, Rng rng) {
        ais.aisVisible(w, v, x, bv, a, betaPrev, beta, rng);
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void adam(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int step) {
        optimizers.adam(p, g, m, v, lr, beta1, beta2, eps, step);
    }

    @Override
    public void rmsprop(Tensor p, Tensor g, Tensor r, float lr, float decay, float eps) {
        optimizers.rmsprop(p, g, r, lr, decay, eps);
    }

    // ---------------------------------------------------------------- softmax outputs

    @Override
    public double softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor targets) {
        return softmax.softmaxCrossEntropy(dLogits, logits, targets);
    }

    @Override
    public void softmax(Tensor out, Tensor x) {
        softmax.softmax(out, x);
    }
}
