package dev.tessitura.bench;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.lstm.Lstm;
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
 * One SGD step of the polyphonic LSTM of issue 5's bar: 3 x 120 units, a minibatch of 32 sequences x 100 steps,
 * 88 inputs and outputs, cross-entropy; forward, backward, element-wise clipping at 30 and the update. The
 * "elements" rate counts training frames (3,200 per step): frames/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class LstmTrainBenchmark {
    static final int B = 32, T = 100, N = 88;

    @Param({"scalar", "simd-1t", "simd-2t"})
    public String impl;

    private Backend backend;
    private Lstm lstm;
    private Tensor x, y;

    @Setup
    public void setup() {
        backend = Impl.create(impl);
        lstm = new Lstm(backend, N, new int[] {120, 120, 120}, N);
        lstm.initNormal(0.1, 1);
        float[] hx = Impl.random(T * B * N, 11);
        for (int i = 0; i < hx.length; i++) hx[i] = hx[i] > 0.9f ? 1f : 0f;      // about 5% of notes on
        x = backend.of(hx, T * B, N);
        y = backend.of(hx, T * B, N);
    }

    @TearDown
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public double trainStep(Elements frames) {
        lstm.forward(x, T, B, false);
        double loss = lstm.loss(y, null, T * B);
        lstm.zeroGrads();
        lstm.backward(y, null, T * B);
        backend.clip(lstm.grads, lstm.grads, -30f, 30f);
        backend.axpy(lstm.params, lstm.grads, -0.01f);
        frames.elements += (long) T * B;
        return loss;
    }
}
