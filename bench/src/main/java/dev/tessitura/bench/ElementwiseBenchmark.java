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
 * Transcendentals and Philox draws: the "elements" rate is elements/s. Sizes: 15,000 (a 100 x 150 hidden layer, what
 * the models apply them to) and 1,048,573 (large and odd, where the threads pay).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class ElementwiseBenchmark {
    @Param({"scalar", "simd-1t", "simd-2t"})
    public String impl;

    @Param({"15000", "1048573"})
    public int n;

    private Backend backend;
    private Tensor x, p, out;
    private final Rng rng = new Rng(7, 0);

    @Setup
    public void setup() {
        backend = Impl.create(impl);
        float[] hx = Impl.random(n, 8);
        for (int i = 0; i < n; i++) hx[i] *= 8f;          // sigmoid inputs over [-8, 8)
        x = backend.of(hx, n);
        float[] hp = Impl.random(n, 9);
        for (int i = 0; i < n; i++) hp[i] = 0.5f + 0.5f * hp[i];
        p = backend.of(hp, n);
        out = backend.zeros(n);
        if (!impl.equals("scalar")) {
            try (Backend ref = Impl.create("scalar")) {
                Tensor rx = ref.of(hx, n), ro = ref.zeros(n);
                ref.sigmoid(ro, rx);
                backend.sigmoid(out, x);
                Impl.check("sigmoid", backend.toArray(out), ref.toArray(ro), 1e-6);
                Tensor rp = ref.of(hp, n);
                ref.bernoulli(ro, rp, new Rng(1, 2));
                backend.bernoulli(out, p, new Rng(1, 2));
                Impl.check("bernoulli", backend.toArray(out), ref.toArray(ro), 0);
            }
        }
    }

    @TearDown
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Tensor sigmoid(Elements counters) {
        backend.sigmoid(out, x);
        counters.elements += n;
        return out;
    }

    @Benchmark
    public Tensor bernoulli(Elements counters) {
        backend.bernoulli(out, p, rng);
        counters.elements += n;
        return out;
    }

    @Benchmark
    public Tensor tanh(Elements counters) {
        backend.tanh(out, x);
        counters.elements += n;
        return out;
    }
}
