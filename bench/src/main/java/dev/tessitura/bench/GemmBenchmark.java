package dev.tessitura.bench;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * C = op(A) op(B) at the RNN-RBM's shapes (nv = 88, nh = 150, nu = 100, a chunk of T = 100 frames), 512^3, and the
 * 3 x 120 LSTM's.
 * Shapes are "m x k x n" with a suffix for transposes: ":TN" is A^T B, the weight-gradient form (dW += v^T s).
 * GFLOP/s = the "flops" rate / 1e9, always counting the dense product's 2 m n k.
 * {@code density} below 1 makes op(A) 0/1 with that share of ones, as the RBM's samples are (a trained Nottingham
 * model: visible ~0.05, hidden ~0.3): the SIMD backend then runs over A's nonzeros only, so its rate is effective.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class GemmBenchmark {
    @Param({"scalar", "simd-1t", "simd-2t"})
    public String impl;

    /**
     * The RNN-RBM's v W (visible to hidden), h W^T (hidden to visible), u Wuu, dW = v^T s, the recurrence's one-row
     * u(t-1) Wuu of every time step; a big square one; and the
     * 3 x 120 LSTM's (issue 5's bar: 32 sequences x 100 steps) per-step h Wh and dz Wh^T, all-step x Wx, dW = x^T dz,
     * dh = dz Wx^T and the read-out h Wy.
     */
    @Param({"100x88x150", "100x150x88:NT", "100x100x100", "88x100x150:TN", "1x100x100", "512x512x512",
            "32x120x480", "32x480x120", "3200x120x480", "120x3200x480:TN", "3200x480x120", "3200x120x88"})
    public String shape;

    /** Share of ones in a 0/1 op(A); 1 = dense random values in [-1, 1). */
    @Param({"1"})
    public double density;

    private Backend backend;
    private Tensor a, b, c;
    private boolean transA, transB;
    private long flops;

    @Setup
    public void setup() {
        String[] parts = shape.split(":");
        String[] mkn = parts[0].split("x");
        int m = Integer.parseInt(mkn[0]), k = Integer.parseInt(mkn[1]), n = Integer.parseInt(mkn[2]);
        transA = parts.length > 1 && parts[1].charAt(0) == 'T';
        transB = parts.length > 1 && parts[1].charAt(1) == 'T';
        backend = Impl.create(impl);
        float[] ha = Impl.random(m * k, 1), hb = Impl.random(k * n, 2);
        if (density < 1) {
            for (int i = 0; i < ha.length; i++) ha[i] = (ha[i] + 1) / 2 < density ? 1f : 0f;
        }
        a = transA ? backend.of(ha, k, m) : backend.of(ha, m, k);
        b = transB ? backend.of(hb, n, k) : backend.of(hb, k, n);
        c = backend.zeros(m, n);
        flops = 2L * m * n * k;
        if (!impl.equals("scalar")) {
            try (Backend ref = Impl.create("scalar")) {
                Tensor ra = ref.of(ha, a.shape()), rb = ref.of(hb, b.shape()), rc = ref.zeros(m, n);
                ref.gemm(rc, ra, transA, rb, transB, 1f, 0f);
                backend.gemm(c, a, transA, b, transB, 1f, 0f);
                Impl.check("gemm " + shape, backend.toArray(c), ref.toArray(rc), 1e-5);
            }
        }
    }

    @TearDown
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Tensor gemm(Flops counters) {
        backend.gemm(c, a, transA, b, transB, 1f, 0f);
        counters.flops += flops;
        return c;
    }
}
