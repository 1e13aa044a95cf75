package dev.tessitura.bench;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
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
 * The fused RBM ops at the RNN-RBM's training shape (a chunk of 100 frames, nv = 88, nh = 150): one Gibbs half-step
 * h ~ sigmoid(v W + bh) with per-row biases, a CD-15 chain, and the free-energy gradient. The "flops" rate counts
 * only the GEMMs (2 B nv nh per half-step), as the target does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class GibbsBenchmark {
    static final int B = 100, NV = 88, NH = 150, K = 15;

    @Param({"scalar", "simd-1t", "simd-2t"})
    public String impl;

    private Backend backend;
    private Tensor v, w, bv, bh, h, hProb, chain, dW, dBv, dBh;
    private final Rng rng = new Rng(42, 0);

    @Setup
    public void setup() {
        backend = Impl.create(impl);
        float[] hv = new float[B * NV];
        float[] u = Impl.random(B * NV, 3);
        for (int i = 0; i < hv.length; i++) hv[i] = u[i] > 0.8f ? 1f : 0f;   // about 10% of notes on
        v = backend.of(hv, B, NV);
        w = backend.of(Impl.random(NV * NH, 4), NV, NH);
        bv = backend.of(Impl.random(B * NV, 5), B, NV);
        bh = backend.of(Impl.random(B * NH, 6), B, NH);
        h = backend.zeros(B, NH);
        hProb = backend.zeros(B, NH);
        chain = backend.zeros(B, NV);
        dW = backend.zeros(NV, NH);
        dBv = backend.zeros(B, NV);
        dBh = backend.zeros(B, NH);
    }

    @TearDown
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Tensor halfStep(Flops counters) {
        backend.gibbsHalfStep(h, hProb, v, w, false, bh, rng);
        counters.flops += 2L * B * NV * NH;
        return h;
    }

    @Benchmark
    public Tensor chainK15(Flops counters) {
        backend.copy(chain, v);
        backend.gibbsChain(chain, null, w, bv, bh, K, rng);
        counters.flops += 2L * K * 2 * B * NV * NH;
        return chain;
    }

    @Benchmark
    public Tensor freeEnergyGrad(Flops counters) {
        backend.freeEnergyGrad(dW, dBv, dBh, v, w, bh, 0.01f);
        counters.flops += 2L * 2 * B * NV * NH;
        return dW;
    }
}
