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
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256;          // block size of the elementwise kernels
    private static final int ROW_THREADS = 128;      // one block per row; a power of two (block_sum in common.cuh)
    private static final int MAX_GRID = 1 << 16;     // kernels grid-stride beyond this many blocks
    private static final int PARTIALS = 1024;        // most blocks of the first pass of sum and sumOfSquares

    private final Device device;
    private final DeviceAllocator alloc;
    private final String description;
    private boolean closed;

    /** The backend on {@code device}, which it owns (closed with it). */
    CudaBackend(Device device) {
        this.device = device;
        this.alloc = new DeviceAllocator(device);
        this.description = "cuda: " + device.describe();
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

    private void enter() {
        if (closed) throw new IllegalStateException("cuda: the backend is closed");
        device.enter();
    }

    private static Block block(Tensor t) {
        return ((DeviceStorage) t.storage()).block;
    }

    /** The device address of a view's first element. */
    private static long address(Tensor t) {
        return block(t).address() + t.offset() * Float.BYTES;
    }

    /** Blocks for a grid-stride loop over {@code n} items, THREADS per block. */
    private static int grid(long n) {
        return (int) Math.max(1, Math.min((n + THREADS - 1) / THREADS, MAX_GRID));
    }

    /**
     * Queues kernel {@code k}: args are tensors (their view's address; null for a null pointer), device blocks,
     * Integer, Long or Float, matching the kernel's parameters in order.
     */
    private void launch(Kernel k, int blocks, int threads, int sharedBytes, Object... args) {
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

    /** A temporary (rows, cols) tensor; give it back with {@link #release} after queuing its last use. */
    private Tensor scratch(int rows, int cols) {
        long n = (long) rows * cols;
        Block b = capture != null ? capture.take(n * Float.BYTES) : alloc.allocate(n * Float.BYTES);
        return new Tensor(this, new DeviceStorage(b, n), 0, rows, cols);
    }

    private void release(Tensor scratch) {
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

    /** The bias row stride the kernels take: 0 for a vector, cols for one bias row per row. */
    private static int biasStride(String op, Tensor bias, int rows, int cols) {
        return Checks.bias(op, bias, rows, cols) ? cols : 0;
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
        enter();
        int[] mnk = Checks.gemm(this, c, a, transA, b, transB);
        gemm(c, a, transA, b, transB, mnk[0], mnk[1], mnk[2], alpha, beta);
    }

    /**
     * Row-major C (m, n) = alpha op(A) op(B) + beta C with column-major cuBLAS: a row-major matrix read column-major
     * is its transpose, so we ask for C^T = op(B)^T op(A)^T, i.e. sgemm(opB, opA, n, m, k, B, A). Leading
     * dimensions are the stored row lengths.
     */
    private void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, int m, int n, int k, float alpha, float beta) {
        if (m == 0 || n == 0) return;
        if (k == 0) {   // an empty sum: C = beta C, and beta = 0 overwrites (as the scalar backend does)
            if (beta == 0f) fill(c, 0f);
            else scale(c, beta);
            return;
        }
        int[] g = columnMajorSgemm(m, n, k, transA, a.cols(), transB, b.cols());
        device.sgemm(g[0] == 1, g[1] == 1, g[2], g[3], g[4], alpha, address(b), g[5], address(a), g[6], beta, address(c), g[7]);
    }

    /**
     * cublasSgemm_v2's arguments for row-major C (m, n) = op(A) (m, k) op(B) (k, n), with B passed as the first
     * operand and A as the second: {transa, transb, m', n', k, lda (of B), ldb (of A), ldc} = {opB, opA, n, m, k,
     * B's row length, A's row length, n}. GemmMappingTest checks it against BLAS's column-major definition.
     */
    static int[] columnMajorSgemm(int m, int n, int k, boolean transA, int aCols, boolean transB, int bCols) {
        return new int[] {transB ? 1 : 0, transA ? 1 : 0, n, m, k, Math.max(1, bCols), Math.max(1, aCols), Math.max(1, n)};
    }

    @Override
    public void transpose(Tensor out, Tensor a) {
        enter();
        Checks.transpose(this, out, a);
        long n = a.size();
        if (n > 0) launch(Kernel.TRANSPOSE, grid(n), THREADS, 0, out, a, n, a.rows(), a.cols());
    }

    /** One launch, the indices read on the device (no wait): an update's minibatch from data already there. */
    @Override
    public void gatherRows(Tensor dst, Tensor src, Tensor rows) {
        enter();
        Checks.gatherRows(this, dst, src, rows);
        long n = dst.size();
        if (n > 0) launch(Kernel.GATHER_ROWS, grid(n), THREADS, 0, dst, src, rows, n, dst.cols(), src.rows());
    }

    @Override
    public void addRowVector(Tensor out, Tensor x, Tensor bias) {
        enter();
        Checks.elementwise(this, "addRowVector", out, x);
        Checks.owned(this, "addRowVector", bias);
        Checks.length("addRowVector", "bias", bias, x.cols());
        Checks.inPlaceOrDisjoint("addRowVector", out, bias);
        long n = out.size();
        if (n > 0) launch(Kernel.ADD_ROW_VECTOR, grid(n), THREADS, 0, out, x, bias, n, x.cols());
    }

    @Override
    public void columnSums(Tensor out, Tensor x, float alpha, float beta) {
        enter();
        Checks.owned(this, "columnSums", out, x);
        Checks.length("columnSums", "out", out, x.cols());
        Checks.disjoint("columnSums", out, x);
        int cols = x.cols();
        // k_column_sums: 256 threads per 32 columns, 8 to a column, their partial sums in shared memory
        if (cols > 0) launch(Kernel.COLUMN_SUMS, (cols + 31) / 32, 256, 256 * Double.BYTES, out, x, x.rows(), cols, alpha, beta);
    }

    @Override
    public void rowSums(Tensor out, Tensor x, float alpha, float beta) {
        enter();
        Checks.owned(this, "rowSums", out, x);
        Checks.length("rowSums", "out", out, x.rows());
        Checks.disjoint("rowSums", out, x);
        int rows = x.rows();
        if (rows > 0) launch(Kernel.ROW_SUMS, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, out, x, rows, x.cols(), alpha, beta);
    }

    @Override
    public void axpy(Tensor y, Tensor x, float alpha) {
        enter();
        Checks.elementwise(this, "axpy", y, x);
        long n = y.size();
        if (n > 0) launch(Kernel.AXPY, grid(n), THREADS, 0, y, x, n, alpha);
    }

    @Override
    public void scale(Tensor x, float alpha) {
        enter();
        Checks.owned(this, "scale", x);
        long n = x.size();
        if (n > 0) launch(Kernel.SCALE, grid(n), THREADS, 0, x, n, alpha);
    }

    @Override
    public void fill(Tensor x, float value) {
        enter();
        Checks.owned(this, "fill", x);
        long n = x.size();
        if (n > 0) device.fill32(address(x), Float.floatToRawIntBits(value), n);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        enter();
        // like every elementwise op: the very same view (a no-op) or disjoint, never a partial overlap
        Checks.elementwise(this, "copy", dst, src);
        long n = src.size();
        if (n == 0 || dst.sameElements(src)) return;
        copyDevice(dst, src, n);
    }

    private void copyDevice(Tensor dst, Tensor src, long n) {
        device.copy(address(dst), address(src), n * Float.BYTES);
    }

    @Override
    public double sum(Tensor x) {
        enter();
        Checks.owned(this, "sum", x);
        return reduce(x, false);
    }

    @Override
    public double sumOfSquares(Tensor x) {
        enter();
        Checks.owned(this, "sumOfSquares", x);
        return reduce(x, true);
    }

    /** x squared into scratch, then its row sum (in double) into out: two launches, no wait, recordable. */
    @Override
    public void sumOfSquares(Tensor x, Tensor out) {
        enter();
        Checks.sumOfSquares(this, x, out);
        int n = Math.toIntExact(x.size());
        if (n == 0) {
            fill(out, 0f);
            return;
        }
        Tensor squares = scratch(1, n);
        mul(squares, x, x);
        rowSums(out.reshape(1), squares, 1f, 0f);
        release(squares);
    }

    /** Per-block partial sums in double on the device, added on the host in block order (fixed for a given n). */
    private double reduce(Tensor x, boolean squares) {
        long n = x.size();
        if (n == 0) return 0;
        int blocks = (int) Math.min((n + THREADS - 1) / THREADS, PARTIALS);
        Block partial = alloc.allocate((long) blocks * Double.BYTES);
        launch(Kernel.PARTIAL_SUMS, blocks, THREADS, THREADS * Double.BYTES, partial, x, n, squares ? 1 : 0);
        double[] host = new double[blocks];
        synchronize();
        device.copyOut(host, partial.address());
        alloc.release(partial);
        double s = 0;
        for (double p : host) s += p;
        return s;
    }

    // ---------------------------------------------------------------- elementwise

    private void binary(Kernel k, String op, Tensor out, Tensor a, Tensor b) {
        enter();
        Checks.elementwise(this, op, out, a, b);
        long n = out.size();
        if (n > 0) launch(k, grid(n), THREADS, 0, out, a, b, n);
    }

    private void unary(Kernel k, String op, Tensor out, Tensor x) {
        enter();
        Checks.elementwise(this, op, out, x);
        long n = out.size();
        if (n > 0) launch(k, grid(n), THREADS, 0, out, x, n);
    }

    @Override public void add(Tensor out, Tensor a, Tensor b) { binary(Kernel.ADD, "add", out, a, b); }
    @Override public void sub(Tensor out, Tensor a, Tensor b) { binary(Kernel.SUB, "sub", out, a, b); }
    @Override public void mul(Tensor out, Tensor a, Tensor b) { binary(Kernel.MUL, "mul", out, a, b); }
    @Override public void addMul(Tensor out, Tensor a, Tensor b) { binary(Kernel.ADD_MUL, "addMul", out, a, b); }
    @Override public void sigmoid(Tensor out, Tensor x) { unary(Kernel.SIGMOID, "sigmoid", out, x); }
    @Override public void tanh(Tensor out, Tensor x) { unary(Kernel.TANH, "tanh", out, x); }
    @Override public void softplus(Tensor out, Tensor x) { unary(Kernel.SOFTPLUS, "softplus", out, x); }
    @Override public void logSigmoid(Tensor out, Tensor x) { unary(Kernel.LOG_SIGMOID, "logSigmoid", out, x); }
    @Override public void exp(Tensor out, Tensor x) { unary(Kernel.EXP, "exp", out, x); }
    @Override public void sigmoidBackward(Tensor dx, Tensor dy, Tensor y) { binary(Kernel.SIGMOID_BACKWARD, "sigmoidBackward", dx, dy, y); }
    @Override public void tanhBackward(Tensor dx, Tensor dy, Tensor y) { binary(Kernel.TANH_BACKWARD, "tanhBackward", dx, dy, y); }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        enter();
        Checks.elementwise(this, "clip", out, x);
        if (!(lo <= hi)) throw new IllegalArgumentException("clip: lo " + lo + " > hi " + hi);
        long n = out.size();
        if (n > 0) launch(Kernel.CLIP, grid(n), THREADS, 0, out, x, n, lo, hi);
    }

    // ---------------------------------------------------------------- random

    /**
     * Launch arguments k0, k1, s0, s1, first, replay of a Philox draw from rng starting at block first (see philox.cuh);
     * replay is the recording's offset word while one is in progress, else null.
     */
    private Object[] philox(Rng rng, long first) {
        Block replay = null;
        if (capture != null) {
            if (rng != capture.rng) throw new IllegalStateException("record: the body drew from another Rng than the recording's");
            replay = capture.replay;
        }
        return new Object[] {(int) rng.seed(), (int) (rng.seed() >>> 32), (int) rng.stream(), (int) (rng.stream() >>> 32), first, replay};
    }

    private static Object[] concat(Object[] a, Object... b) {
        Object[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Override
    public void uniform(Tensor out, Rng rng) {
        enter();
        Checks.owned(this, "uniform", out);
        long n = out.size();
        long first = rng.take(n);
        if (n > 0) launch(Kernel.UNIFORM, grid((n + 3) >>> 2), THREADS, 0, concat(new Object[] {out, n}, philox(rng, first)));
    }

    @Override
    public void bernoulli(Tensor out, Tensor p, Rng rng) {
        enter();
        Checks.elementwise(this, "bernoulli", out, p);
        long n = out.size();
        long first = rng.take(n);
        if (n > 0) launch(Kernel.BERNOULLI, grid((n + 3) >>> 2), THREADS, 0, concat(new Object[] {out, p, n}, philox(rng, first)));
    }

    // ---------------------------------------------------------------- fused RBM ops

    @Override
    public void gibbsHalfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng) {
        enter();
        Checks.HalfStepShape hs = Checks.gibbsHalfStep(this, sample, prob, x, w, transW, bias);
        halfStep(sample, prob, x, w, transW, bias, rng, hs.rows(), hs.nIn(), hs.nOut());
    }

    /** prob = sigmoid(x op(W) + bias) (cuBLAS, then the epilogue kernel), sample = bernoulli(prob). */
    private void halfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng,
                          int rows, int nIn, int nOut) {
        long n = (long) rows * nOut;
        long first = rng.take(n);
        if (n == 0) return;
        Tensor p = prob != null ? prob : scratch(rows, nOut);
        gemm(p, x, false, w, transW, rows, nOut, nIn, 1f, 0f);
        launch(Kernel.GIBBS_EPILOGUE, grid((n + 3) >>> 2), THREADS, 0,
                concat(new Object[] {sample, p, bias, biasStride("gibbsHalfStep", bias, rows, nOut), rows, nOut}, philox(rng, first)));
        if (prob == null) release(p);
    }

    /**
     * Reserves the 2k draws of a k-step chain exactly as k pairs of half-steps would (hidden draw of hElems, then
     * visible of vElems, k times) and returns {first, hBlocks, vBlocks}: step s's hidden draw starts at block
     * first + s (hBlocks + vBlocks), its visible draw hBlocks later. The kernel k_gibbs_chain relies on this layout.
     */
    static long[] chainDraws(Rng rng, long hElems, long vElems, int k) {
        long first = rng.position(), hBlocks = (hElems + 3) >>> 2, vBlocks = (vElems + 3) >>> 2;
        for (int s = 0; s < k; s++) {
            rng.take(hElems);
            rng.take(vElems);
        }
        return new long[] {first, hBlocks, vBlocks};
    }

    /** Threads per block of k_gibbs_chain: the wider layer, in warps, at most 256. */
    static int chainThreads(int nv, int nh) {
        return Math.min(256, Math.max(32, (Math.max(nv, nh) + 31) / 32 * 32));
    }

    /** Bytes of dynamic shared memory k_gibbs_chain needs: W, v and h. */
    static long chainSharedBytes(int nv, int nh) {
        return ((long) nv * nh + nv + nh) * Float.BYTES;
    }

    @Override
    public void gibbsChain(Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k, Rng rng) {
        enter();
        Checks.RbmShape sh = Checks.gibbsChain(this, v, vProb, w, bv, bh, k);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bvStride = sh.bvPerRow() ? nv : 0, bhStride = sh.bhPerRow() ? nh : 0;
        long shared = chainSharedBytes(nv, nh);
        if (shared > device.maxSharedBytes()) {   // W does not fit on chip: the same draws as 2k half-steps through cuBLAS
            Tensor h = scratch(rows, nh), hProb = scratch(rows, nh);
            Tensor vp = vProb != null ? vProb : scratch(rows, nv);
            for (int s = 0; s < k; s++) {
                halfStep(h, hProb, v, w, false, bh, rng, rows, nv, nh);
                halfStep(v, vp, h, w, true, bv, rng, rows, nh, nv);
            }
            release(h);
            release(hProb);
            if (vProb == null) release(vp);
            return;
        }
        long[] d = chainDraws(rng, (long) rows * nh, (long) rows * nv, k);
        if (rows == 0 || k == 0) return;
        launch(Kernel.GIBBS_CHAIN, rows, chainThreads(nv, nh), (int) shared,
                concat(new Object[] {v, vProb, w, bv, bvStride, bh, bhStride, nv, nh, k}, concat(philox(rng, d[0]), d[1], d[2])));
    }

    @Override
    public void freeEnergy(Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh) {
        enter();
        Checks.RbmShape sh = Checks.freeEnergy(this, f, v, w, bv, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bvStride = sh.bvPerRow() ? nv : 0, bhStride = sh.bhPerRow() ? nh : 0;
        if (rows == 0) return;
        Tensor x = scratch(rows, nh);   // (rows, nh) = v W
        gemm(x, v, false, w, false, rows, nh, nv, 1f, 0f);
        launch(Kernel.FREE_ENERGY_EPILOGUE, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, f, x, v, bv, bvStride, bh, bhStride, nv, nh);
        release(x);
    }

    @Override
    public void freeEnergyGrad(Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh, float alpha) {
        enter();
        Checks.RbmShape sh = Checks.freeEnergyGrad(this, dW, dBv, dBh, v, w, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bhStride = biasStride("freeEnergyGrad", bh, rows, nh);
        boolean dBvRow = sh.bvPerRow(), dBhRow = sh.bhPerRow();
        if (rows == 0) return;
        // s = sigmoid(v W + bh) = E[h | v]; dF/dW = -v^T s, dF/dbv = -v, dF/dbh = -s
        Tensor s = scratch(rows, nh);
        gemm(s, v, false, w, false, rows, nh, nv, 1f, 0f);
        long n = (long) rows * nh;
        if (n > 0) launch(Kernel.BIAS_SIGMOID, grid(n), THREADS, 0, s, bh, bhStride, rows, nh);
        if (dW != null) gemm(dW, v, true, s, false, nv, nh, rows, -alpha, 1f);
        if (dBv != null) accumulate(dBv, dBvRow, v, -alpha);
        if (dBh != null) accumulate(dBh, dBhRow, s, -alpha);
        release(s);
    }

    /** g += alpha * x per row, or g += alpha * (column sums of x). */
    private void accumulate(Tensor g, boolean perRow, Tensor x, float alpha) {
        if (perRow) axpy(g, x, alpha);
        else columnSums(g, x, alpha, 1f);
    }

    // ---------------------------------------------------------------- fused LSTM cell

    @Override
    public void lstmCell(Tensor h, Tensor c, Tensor z, Tensor cPrev) {
        enter();
        int[] bh = Checks.lstmCell(this, h, c, z, cPrev);
        long n = (long) bh[0] * bh[1];
        if (n > 0) launch(Kernel.LSTM_CELL, grid(n), THREADS, 0, h, c, z, cPrev, bh[0], bh[1]);
    }

    @Override
    public void lstmCellBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev) {
        enter();
        int[] bh = Checks.lstmCellBackward(this, dz, dc, dh, z, c, cPrev);
        long n = (long) bh[0] * bh[1];
        if (n > 0) launch(Kernel.LSTM_CELL_BACKWARD, grid(n), THREADS, 0, dz, dc, dh, z, c, cPrev, bh[0], bh[1]);
    }

    /** Bytes of dynamic shared memory k_lstm_forward / k_lstm_backward need: Wh and two rows, or Wh^T and dz_s. */
    static long lstmSharedBytes(int n, boolean backward) {
        return (4L * n * n + (backward ? 4L : 2L) * n) * Float.BYTES;
    }

    /**
     * All T steps in one launch (k_lstm_forward: a block per sequence, Wh in shared memory); per step (a cuBLAS
     * product and k_lstm_cell) when Wh does not fit (H > 120 on an H100).
     */
    @Override
    public void lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        enter();
        int steps = Checks.lstmForward(this, h, c, z, wh, h0, c0, batch), n = h.cols();
        long shared = lstmSharedBytes(n, false);
        if (shared > device.maxSharedBytes()) {
            Backend.super.lstmForward(h, c, z, wh, h0, c0, batch);
            return;
        }
        if (steps > 0 && n > 0) launch(Kernel.LSTM_FORWARD, batch, recurrenceThreads(n), (int) shared, h, c, z, wh, h0, c0, steps, batch, n);
    }

    /** All T steps back in one launch (k_lstm_backward, Wh^T in shared memory), or per step as above. */
    @Override
    public void lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        enter();
        int steps = Checks.lstmBackward(this, dz, dc, dh, z, c, c0, wh, batch), n = dh.cols();
        long shared = lstmSharedBytes(n, true);
        if (shared > device.maxSharedBytes()) {
            Backend.super.lstmBackward(dz, dc, dh, z, c, c0, wh, batch);
            return;
        }
        if (steps > 0 && n > 0) launch(Kernel.LSTM_BACKWARD, batch, recurrenceThreads(n), (int) shared, dz, dc, dh, z, c, c0, wh, steps, batch, n);
    }

    // ---------------------------------------------------------------- the RNN-RBM's recurrence

    /** Threads of the persistent recurrence kernels: one per unit, in warps, at most 1024 (more units loop). */
    static int recurrenceThreads(int n) {
        return Math.min(1024, Math.max(32, (n + 31) / 32 * 32));
    }

    /** Bytes of dynamic shared memory the recurrence kernels need: Wuu and two rows. */
    static long recurrenceSharedBytes(int n) {
        return ((long) n * n + 2L * n) * Float.BYTES;
    }

    /**
     * All T steps in one launch (k_tanh_recurrence: a block per sequence, Wuu in shared memory); per step through
     * cuBLAS when Wuu does not fit.
     */
    @Override
    public void tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        enter();
        int steps = Checks.tanhRecurrence(this, "tanhRecurrence", u, wuu, null, null, batch), n = u.cols();
        long shared = recurrenceSharedBytes(n);
        if (shared > device.maxSharedBytes()) {
            Backend.super.tanhRecurrence(u, wuu, batch);
            return;
        }
        if (steps > 0 && n > 0) launch(Kernel.TANH_RECURRENCE, batch, recurrenceThreads(n), (int) shared, u, wuu, steps, batch, n);
    }

    /** All T steps back in one launch (k_tanh_recurrence_backward, Wuu^T in shared memory), or per step as above. */
    @Override
    public void tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        enter();
        int steps = Checks.tanhRecurrence(this, "tanhRecurrenceBackward", u, wuu, da, du, batch), n = u.cols();
        long shared = recurrenceSharedBytes(n);
        if (shared > device.maxSharedBytes()) {
            Backend.super.tanhRecurrenceBackward(da, du, u, wuu, batch);
            return;
        }
        if (steps > 0 && n > 0) {
            launch(Kernel.TANH_RECURRENCE_BACKWARD, batch, recurrenceThreads(n), (int) shared, da, du, u, wuu, steps, batch, n);
        }
    }

    // ---------------------------------------------------------------- AIS

    /** One pass over x for both softplus sums, the weight update and the hidden draw (k_ais_hidden, a block per chain). */
    @Override
    public void aisHidden(Tensor w, Tensor h, Tensor x, Tensor bh, float betaPrev, float beta, Rng rng) {
        enter();
        boolean bhRow = Checks.aisHidden(this, w, h, x, bh);
        int rows = x.rows(), nh = x.cols();
        long first = h != null ? rng.take((long) rows * nh) : rng.position();
        if (rows == 0) return;
        launch(Kernel.AIS_HIDDEN, rows, ROW_THREADS, ROW_THREADS * Double.BYTES,
                concat(new Object[] {w, h, x, bh, bhRow ? nh : 0, nh, betaPrev, beta}, philox(rng, first)));
    }

    /** The dot products, the weight update, the bias mix and the visible draw in one pass (k_ais_visible, a block per chain). */
    @Override
    public void aisVisible(Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a, float betaPrev, float beta, Rng rng) {
        enter();
        boolean bvRow = Checks.aisVisible(this, w, v, x, bv, a);
        int rows = v.rows(), nv = v.cols();
        long first = x != null ? rng.take((long) rows * nv) : rng.position();
        if (rows == 0 || (x == null && a == null)) return;
        launch(Kernel.AIS_VISIBLE, rows, ROW_THREADS, ROW_THREADS * Double.BYTES,
                concat(new Object[] {w, v, x, bv, a, bvRow ? nv : 0, nv, betaPrev, beta}, philox(rng, first)));
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void adam(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int step) {
        enter();
        Checks.optimizer(this, "adam", p, g, m, v);
        if (step < 1) throw new IllegalArgumentException("adam: step must be >= 1, got " + step);
        // bias corrections 1 - b^t, computed once in double, as the scalar backend does
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        long n = p.size();
        if (n > 0) launch(Kernel.ADAM, grid(n), THREADS, 0, p, g, m, v, n, lr, beta1, beta2, eps, c1, c2);
    }

    @Override
    public void momentum(Tensor p, Tensor g, Tensor v, float lr, float mu, boolean nesterov) {
        enter();
        Checks.optimizer(this, "momentum", p, g, v);
        long n = p.size();
        if (n > 0) launch(Kernel.MOMENTUM, grid(n), THREADS, 0, p, g, v, n, lr, mu, nesterov ? 1 : 0);
    }

    @Override
    public void rmsprop(Tensor p, Tensor g, Tensor r, float lr, float decay, float eps) {
        enter();
        Checks.optimizer(this, "rmsprop", p, g, r);
        long n = p.size();
        if (n > 0) launch(Kernel.RMSPROP, grid(n), THREADS, 0, p, g, r, n, lr, decay, eps);
    }

    // ---------------------------------------------------------------- softmax outputs

    @Override
    public double softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor targets) {
        enter();
        Checks.softmaxCrossEntropy(this, dLogits, logits, targets);
        int rows = logits.rows();
        if (rows == 0) return 0;
        Block rowLoss = alloc.allocate((long) rows * Double.BYTES);
        launch(Kernel.SOFTMAX_XENT, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, rowLoss, dLogits, logits, targets, logits.cols());
        double[] host = new double[rows];
        synchronize();
        device.copyOut(host, rowLoss.address());
        alloc.release(rowLoss);
        double loss = 0;
        for (double l : host) loss += l;
        return loss;
    }

    @Override
    public void softmax(Tensor out, Tensor x) {
        enter();
        Checks.elementwise(this, "softmax", out, x);
        Checks.shape("softmax", "out", out, x.rows(), x.cols());
        int rows = x.rows();
        if (rows > 0) launch(Kernel.SOFTMAX, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, out, x, x.cols());
    }
}
