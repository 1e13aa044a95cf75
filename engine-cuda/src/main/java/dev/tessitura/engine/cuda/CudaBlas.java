package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.ROW_THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.address;
import static dev.tessitura.engine.cuda.CudaBackend.grid;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cuda.DeviceAllocator.Block;

/** CudaBackend's BLAS-like ops: the GEMMs through cuBLAS, the rest as the kernels module's kernels. */
final class CudaBlas {
    private static final int PARTIALS = 1024;        // most blocks of the first pass of sum and sumOfSquares

    private final CudaBackend be;

    CudaBlas(CudaBackend be) {
        this.be = be;
    }

    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        be.enter();
        int[] mnk = Checks.gemm(be, c, a, transA, b, transB);
        gemm(c, a, transA, b, transB, mnk[0], mnk[1], mnk[2], alpha, beta);
    }

    /**
     * Row-major C (m, n) = alpha op(A) op(B) + beta C with column-major cuBLAS: a row-major matrix read column-major
     * is its transpose, so we ask for C^T = op(B)^T op(A)^T, i.e. sgemm(opB, opA, n, m, k, B, A). Leading
     * dimensions are the stored row lengths.
     */
    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, int m, int n, int k, float alpha, float beta) {
        if (m == 0 || n == 0) return;
        if (k == 0) {   // an empty sum: C = beta C, and beta = 0 overwrites (as the scalar backend does)
            if (beta == 0f) fill(c, 0f);
            else scale(c, beta);
            return;
        }
        int[] g = columnMajorSgemm(m, n, k, transA, a.cols(), transB, b.cols());
        be.device.sgemm(g[0] == 1, g[1] == 1, g[2], g[3], g[4], alpha, address(b), g[5], address(a), g[6], beta, address(c), g[7]);
    }

    /**
     * cublasSgemm_v2's arguments for row-major C (m, n) = op(A) (m, k) op(B) (k, n), with B passed as the first
     * operand and A as the second: {transa, transb, m', n', k, lda (of B), ldb (of A), ldc} = {opB, opA, n, m, k,
     * B's row length, A's row length, n}. GemmMappingTest checks it against BLAS's column-major definition.
     */
    static int[] columnMajorSgemm(int m, int n, int k, boolean transA, int aCols, boolean transB, int bCols) {
        return new int[] {transB ? 1 : 0, transA ? 1 : 0, n, m, k, Math.max(1, bCols), Math.max(1, aCols), Math.max(1, n)};
    }

    void transpose(Tensor out, Tensor a) {
        be.enter();
        Checks.transpose(be, out, a);
        long n = a.size();
        if (n > 0) be.launch(Kernel.TRANSPOSE, grid(n), THREADS, 0, out, a, n, a.rows(), a.cols());
    }

    /** One launch, the indices read on the device (no wait): an update's minibatch from data already there. */
    void gatherRows(Tensor dst, Tensor src, Tensor rows) {
        be.enter();
        Checks.gatherRows(be, dst, src, rows);
        long n = dst.size();
        if (n > 0) be.launch(Kernel.GATHER_ROWS, grid(n), THREADS, 0, dst, src, rows, n, dst.cols(), src.rows());
    }

    void addRowVector(Tensor out, Tensor x, Tensor bias) {
        be.enter();
        Checks.elementwise(be, "addRowVector", out, x);
        Checks.owned(be, "addRowVector", bias);
        Checks.length("addRowVector", "bias", bias, x.cols());
        Checks.inPlaceOrDisjoint("addRowVector", out, bias);
        long n = out.size();
        if (n > 0) be.launch(Kernel.ADD_ROW_VECTOR, grid(n), THREADS, 0, out, x, bias, n, x.cols());
    }

    void columnSums(Tensor out, Tensor x, float alpha, float beta) {
        be.enter();
        Checks.owned(be, "columnSums", out, x);
        Checks.length("columnSums", "out", out, x.cols());
        Checks.disjoint("columnSums", out, x);
        int cols = x.cols();
        // k_column_sums: 256 threads per 32 columns, 8 to a column, their partial sums in shared memory
        if (cols > 0) be.launch(Kernel.COLUMN_SUMS, (cols + 31) / 32, 256, 256 * Double.BYTES, out, x, x.rows(), cols, alpha, beta);
    }

    void rowSums(Tensor out, Tensor x, float alpha, float beta) {
        be.enter();
        Checks.owned(be, "rowSums", out, x);
        Checks.length("rowSums", "out", out, x.rows());
        Checks.disjoint("rowSums", out, x);
        int rows = x.rows();
        if (rows > 0) be.launch(Kernel.ROW_SUMS, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, out, x, rows, x.cols(), alpha, beta);
    }

    void axpy(Tensor y, Tensor x, float alpha) {
        be.enter();
        Checks.elementwise(be, "axpy", y, x);
        long n = y.size();
        if (n > 0) be.launch(Kernel.AXPY, grid(n), THREADS, 0, y, x, n, alpha);
    }

    void scale(Tensor x, float alpha) {
        be.enter();
        Checks.owned(be, "scale", x);
        long n = x.size();
        if (n > 0) be.launch(Kernel.SCALE, grid(n), THREADS, 0, x, n, alpha);
    }

    void fill(Tensor x, float value) {
        be.enter();
        Checks.owned(be, "fill", x);
        long n = x.size();
        if (n > 0) be.device.fill32(address(x), Float.floatToRawIntBits(value), n);
    }

    void copy(Tensor dst, Tensor src) {
        be.enter();
        // like every elementwise op: the very same view (a no-op) or disjoint, never a partial overlap
        Checks.elementwise(be, "copy", dst, src);
        long n = src.size();
        if (n == 0 || dst.sameElements(src)) return;
        copyDevice(dst, src, n);
    }

    private void copyDevice(Tensor dst, Tensor src, long n) {
        be.device.copy(address(dst), address(src), n * Float.BYTES);
    }

    double sum(Tensor x) {
        be.enter();
        Checks.owned(be, "sum", x);
        return reduce(x, false);
    }

    double sumOfSquares(Tensor x) {
        be.enter();
        Checks.owned(be, "sumOfSquares", x);
        return reduce(x, true);
    }

    /** x squared into scratch, then its row sum (in double) into out: two launches, no wait, recordable. */
    void sumOfSquares(Tensor x, Tensor out) {
        be.enter();
        Checks.sumOfSquares(be, x, out);
        int n = Math.toIntExact(x.size());
        if (n == 0) {
            fill(out, 0f);
            return;
        }
        Tensor squares = be.scratch(1, n);
        be.mul(squares, x, x);
        rowSums(out.reshape(1), squares, 1f, 0f);
        be.release(squares);
    }

    /** Per-block partial sums in double on the device, added on the host in block order (fixed for a given n). */
    private double reduce(Tensor x, boolean squares) {
        long n = x.size();
        if (n == 0) return 0;
        int blocks = (int) Math.min((n + THREADS - 1) / THREADS, PARTIALS);
        Block partial = be.alloc.allocate((long) blocks * Double.BYTES);
        be.launch(Kernel.PARTIAL_SUMS, blocks, THREADS, THREADS * Double.BYTES, partial, x, n, squares ? 1 : 0);
        return be.hostSum(partial, blocks);
    }
}
