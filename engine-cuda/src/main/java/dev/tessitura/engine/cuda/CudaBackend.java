package dev.tessitura.engine.cuda;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cuda.Device.Ptr;
import dev.tessitura.engine.cuda.DeviceAllocator.Block;
import dev.tessitura.engine.cuda.DeviceAllocator.DeviceStorage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Backend on an NVIDIA GPU: cuBLAS SGEMM for the GEMMs, the kernels module's CUDA kernels for everything else,
 * on a {@link Device} (the real one: {@link DriverDevice}, JCuda's driver API and cuBLAS through FFM; in the tests
 * also a host emulator of the same kernels).
 *
 * <p>Everything runs in order on one stream. Ops return once queued; {@link #copyToHost}, {@link #sum},
 * {@link #sumOfSquares}, {@link #softmaxCrossEntropy} and {@link #synchronize} wait, and a kernel fault surfaces
 * there as a {@link CudaException} naming the CUDA_ERROR_*. Host copies are synchronous driver copies on the legacy
 * stream, which the backend's (blocking) stream is ordered with. Not thread-safe: use one backend per thread, or
 * hand it between threads with the usual happens-before; every call makes the backend's context current.
 *
 * <p>Argument checks are those of {@link Checks}, in the same order as the scalar backend's, so that both reject
 * the same calls with the same words.
 *
 * <p>This class holds the device, its memory, the launches and the recording, and hands each op to the class of its
 * section of {@link Backend}: {@link CudaBlas}, {@link CudaElementwise}, {@link CudaRandom}, {@link CudaRbm}, {@link CudaNade},
 * {@link CudaLstm}, {@link CudaTanhRecurrence}, {@link CudaAis}, {@link CudaOptimizers}, {@link CudaSoftmax}.
 */
public final class CudaBackend implements Backend {
    static final int THREADS = 256;                  // block size of the elementwise kernels
    static final int ROW_THREADS = 128;              // one block per row; a power of two (block_sum in common.cuh)
    private static final int MAX_GRID = 1 << 16;     // kernels grid-stride beyond this many blocks

    final Device device;
    final DeviceAllocator alloc;
    private final String description;
    private boolean closed;

    final CudaBlas blas;
    private final CudaElementwise elementwise;
    private final CudaRandom random;
    private final CudaRbm rbm;
    private final CudaNade nade;
    private final CudaLstm lstm;
    private final CudaTanhRecurrence recurrence;
    private final CudaAis ais;
    private final CudaOptimizers optimizers;
    private final CudaSoftmax softmax;

    /** The backend on {@code device}, which it owns (closed with it). */
    CudaBackend(Device device) {
        this.device = device;
        this.alloc = new DeviceAllocator(device);
        this.description = "cuda: " + device.describe();
        this.blas = new CudaBlas(this);
        this.elementwise = new CudaElementwise(this);
        this.random = new CudaRandom(this);
        this.rbm = new CudaRbm(this);
        this.nade = new CudaNade(this);
        this.lstm = new CudaLstm(this);
        this.recurrence = new CudaTanhRecurrence(this);
        this.ais = new CudaAis(this);
        this.optimizers = new CudaOptimizers(this);
        this.softmax = new CudaSoftmax(this);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        if (closed) return;
        enter();
        try {
            synchronize();
        } finally {
            closed = true;
            try {
                alloc.close();
            } finally {
                device.close();
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    void enter() {
        if (closed) throw new IllegalStateException("cuda: the backend is closed");
        device.enter();
    }

    private static Block block(Tensor t) {
        return ((DeviceStorage) t.storage()).block;
    }

    /** The device address of a view's first element. */
    static long address(Tensor t) {
        return block(t).address() + t.offset() * Float.BYTES;
    }

    /** Blocks for a grid-stride loop over {@code n} items, THREADS per block. */
    static int grid(long n) {
        return (int) Math.max(1, Math.min((n + THREADS - 1) / THREADS, MAX_GRID));
    }

    /**
     * Queues kernel {@code k}: args are tensors (their view's address; null for a null pointer), device blocks,
     * Integer, Long or Float, matching the kernel's parameters in order.
     */
    void launch(Kernel k, int blocks, int threads, int sharedBytes, Object... args) {
        Object[] resolved = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            resolved[i] = switch (args[i]) {
                case null -> new Ptr(0);
                case Tensor t -> new Ptr(address(t));
                case Block b -> new Ptr(b.address());
                case Integer x -> x;
                case Long x -> x;
                case Float x -> x;
                default -> throw new IllegalArgumentException("launch " + k.entry() + ": argument " + i + " " + args[i]);
            };
        }
        device.launch(k, blocks, threads, sharedBytes, resolved);
    }

    /** The first n doubles of block, added on the host in order once the device is done; block is released. */
    double hostSum(Block block, int n) {
        double[] host = new double[n];
        synchronize();
        device.copyOut(host, block.address());
        alloc.release(block);
        double s = 0;
        for (double p : host) s += p;
        return s;
    }

    /** A temporary (rows, cols) tensor; give it back with {@link #release} after queuing its last use. */
    Tensor scratch(int rows, int cols) {
        long n = (long) rows * cols;
        Block b = capture != null ? capture.take(n * Float.BYTES) : alloc.allocate(n * Float.BYTES);
        return new Tensor(this, new DeviceStorage(b, n), 0, rows, cols);
    }

    void release(Tensor scratch) {
        if (capture != null) capture.give(block(scratch));
        else alloc.release(block(scratch));
    }

    // ---------------------------------------------------------------- recording (CUDA graphs)

    /**
     * The recording in progress: its Rng, the device word its random kernels add to their first block (how far the
     * Rng has moved since), and the scratch its ops take, which the recording keeps: a block that the allocator handed
     * to someone else would be overwritten by the next replay.
     */
    private final class Capture {
        final Rng rng;
        final Block replay;
        final List<Block> owned = new ArrayList<>();
        private final Map<Long, ArrayDeque<Block>> spare = new HashMap<>();   // given back during the capture

        Capture(Rng rng) {
            this.rng = rng;
            this.replay = alloc.allocate(Long.BYTES);
        }

        Block take(long bytes) {
            ArrayDeque<Block> s = spare.get(DeviceAllocator.rounded(bytes));
            if (s != null && !s.isEmpty()) return s.pop();
            Block b = alloc.allocate(bytes);
            owned.add(b);
            return b;
        }

        void give(Block b) {
            spare.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).push(b);
        }

        void free() {
            owned.forEach(alloc::release);
            alloc.release(replay);
        }
    }

    private Capture capture;

    /** The body's ops captured into a CUDA graph (see Backend.record): run once at the Rng's first position, then replayed. */
    @Override
    public Recording record(Runnable body, Rng rng) {
        enter();
        if (capture != null) throw new IllegalStateException("record: a recording is already in progress");
        long from = rng.position();
        Capture c = new Capture(rng);
        capture = c;
        device.beginCapture();
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            capture = null;
            tidy(e, () -> device.endCapture().close());   // the stream leaves capture mode either way
            c.free();
            rng.seek(from);                               // nothing was drawn on the device
            throw e;
        }
        capture = null;
        Device.Graph graph;
        try {
            graph = device.endCapture();
        } catch (RuntimeException e) {
            c.free();
            rng.seek(from);
            throw e;
        }
        long draws = rng.position() - from;          // Philox blocks the body drew
        try {
            launch(Kernel.STORE_OFFSET, 1, 1, 0, c.replay, 0L);
            graph.launch();
        } catch (RuntimeException e) {
            tidy(e, graph::close);
            c.free();
            rng.seek(from);
            throw e;
        }
        return new Recording() {
            private boolean closed;

            @Override
            public void replay() {
                enter();
                if (closed) throw new IllegalStateException("record: the recording is closed");
                launch(Kernel.STORE_OFFSET, 1, 1, 0, c.replay, rng.position() - from);
                graph.launch();
                rng.take(4 * draws);
            }

            @Override
            public void close() {
                if (closed) return;
                closed = true;
                enter();
                try {
                    graph.close();
                } finally {
                    c.free();
                }
            }
        };
    }

    /** Runs cleanup after the failure e; what cleanup throws is added to e, which stays the one reported. */
    private static void tidy(Throwable e, Runnable cleanup) {
        try {
            cleanup.run();
        } catch (RuntimeException suppressed) {
            e.addSuppressed(suppressed);
        }
    }

    /** What a body being recorded must not do: wait for the device, copy from or to the host, allocate a tensor. */
    private void notRecording(String what) {
        if (capture != null) {
            throw new IllegalStateException("record: the body " + what + " while it was being recorded (a recorded body runs on "
                    + "the device only: no host reads or writes, no new tensors; run it once before recording)");
        }
    }

    /**
     * Launch arguments k0, k1, s0, s1, first, replay of a Philox draw from rng starting at block first (see philox.cuh);
     * replay is the recording's offset word while one is in progress, else null.
     */
    Object[] philox(Rng rng, long first) {
        Block replay = null;
        if (capture != null) {
            if (rng != capture.rng) throw new IllegalStateException("record: the body drew from another Rng than the recording's");
            replay = capture.replay;
        }
        return new Object[] {(int) rng.seed(), (int) (rng.seed() >>> 32), (int) rng.stream(), (int) (rng.stream() >>> 32), first, replay};
    }

    /** a's elements, then b's: a kernel's leading arguments and a draw's Philox arguments. */
    static Object[] concat(Object[] a, Object... b) {
        Object[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor zeros(int... shape) {
        enter();
        notRecording("allocated a tensor");
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("zeros: negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        Tensor t = new Tensor(this, alloc.storage(n), 0, shape);
        if (n > 0) device.fill32(address(t), 0, n);
        return t;
    }

    @Override
    public void copyFromHost(Tensor dst, float[] src, int srcOffset) {
        enter();
        Checks.owned(this, "copyFromHost", dst);
        notRecording("copied from the host");
        int n = Math.toIntExact(dst.size());
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        if (n == 0) return;
        device.copyIn(address(dst), src, srcOffset, n);
    }

    @Override
    public void copyToHost(float[] dst, int dstOffset, Tensor src) {
        enter();
        Checks.owned(this, "copyToHost", src);
        int n = Math.toIntExact(src.size());
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        synchronize();   // a kernel fault is reported here, with its own words, rather than as a failed copy
        if (n == 0) return;
        device.copyOut(dst, dstOffset, n, address(src));
    }

    /** Kernels and device copies queue on the backend's stream; reads from the host wait for them. */
    @Override
    public boolean asynchronous() {
        return true;
    }

    @Override
    public void synchronize() {
        enter();
        notRecording("waited for the device");
        device.synchronize();
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
    public void gatherRows(Tensor dst, Tensor src, Tensor rows) {
        blas.gatherRows(dst, src, rows);
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

    @Override
    public void sumOfSquares(Tensor x, Tensor out) {
        blas.sumOfSquares(x, out);
    }

    // ---------------------------------------------------------------- elementwise

    @Override public void add(Tensor out, Tensor a, Tensor b) { elementwise.binary(Kernel.ADD, "add", out, a, b); }
    @Override public void sub(Tensor out, Tensor a, Tensor b) { elementwise.binary(Kernel.SUB, "sub", out, a, b); }
    @Override public void mul(Tensor out, Tensor a, Tensor b) { elementwise.binary(Kernel.MUL, "mul", out, a, b); }
    @Override public void addMul(Tensor out, Tensor a, Tensor b) { elementwise.binary(Kernel.ADD_MUL, "addMul", out, a, b); }
    @Override public void sigmoid(Tensor out, Tensor x) { elementwise.unary(Kernel.SIGMOID, "sigmoid", out, x); }
    @Override public void tanh(Tensor out, Tensor x) { elementwise.unary(Kernel.TANH, "tanh", out, x); }
    @Override public void softplus(Tensor out, Tensor x) { elementwise.unary(Kernel.SOFTPLUS, "softplus", out, x); }
    @Override public void logSigmoid(Tensor out, Tensor x) { elementwise.unary(Kernel.LOG_SIGMOID, "logSigmoid", out, x); }
    @Override public void exp(Tensor out, Tensor x) { elementwise.unary(Kernel.EXP, "exp", out, x); }
    @Override public void sigmoidBackward(Tensor dx, Tensor dy, Tensor y) { elementwise.binary(Kernel.SIGMOID_BACKWARD, "sigmoidBackward", dx, dy, y); }
    @Override public void tanhBackward(Tensor dx, Tensor dy, Tensor y) { elementwise.binary(Kernel.TANH_BACKWARD, "tanhBackward", dx, dy, y); }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        elementwise.clip(out, x, lo, hi);
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

    /** All T steps in one launch; step by step (the interface's default) where Wh does not fit in shared memory. */
    @Override
    public void lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        if (!lstm.lstmForward(h, c, z, wh, h0, c0, batch)) Backend.super.lstmForward(h, c, z, wh, h0, c0, batch);
    }

    /** All T steps back in one launch; step by step (the interface's default) where Wh^T does not fit. */
    @Override
    public void lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        if (!lstm.lstmBackward(dz, dc, dh, z, c, c0, wh, batch)) Backend.super.lstmBackward(dz, dc, dh, z, c, c0, wh, batch);
    }

    // ---------------------------------------------------------------- the tanh recurrence

    /** All T steps in one launch; step by step (the interface's default) where Wuu does not fit in shared memory. */
    @Override
    public void tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        if (!recurrence.tanhRecurrence(u, wuu, batch)) Backend.super.tanhRecurrence(u, wuu, batch);
    }

    /** All T steps back in one launch; step by step (the interface's default) where Wuu^T does not fit. */
    @Override
    public void tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        if (!recurrence.tanhRecurrenceBackward(da, du, u, wuu, batch)) Backend.super.tanhRecurrenceBackward(da, du, u, wuu, batch);
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
    public void momentum(Tensor p, Tensor g, Tensor v, float lr, float mu, boolean nesterov) {
        optimizers.momentum(p, g, v, lr, mu, nesterov);
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
