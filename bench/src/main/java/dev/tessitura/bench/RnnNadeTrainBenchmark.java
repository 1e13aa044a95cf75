package dev.tessitura.bench;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.nade.RnnNadeConfig;
import dev.tessitura.model.nade.RnnNadeTrainer;
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
 * One training update of the RNN-NADE at the tutorial's sizes (nv 88, nh 150, nu 100) on a chunk of 100 frames of
 * about 8 notes each (Nottingham has 3-4; denser frames cost more sigmoids): recurrence, biases, the NADE's exact
 * forward and backward passes, BPTT, the SGD step. The "elements" rate counts frames: frames/s (the bar:
 * 100,000 on 2 cores). {@code recurrence = lstm}: the LSTM-NADE with one LSTM layer of 100 units. {@code forwardOnly}:
 * the recurrence and biases alone, to see where the time goes. The setup checks one update against the scalar backend.
 *
 * <p>Roofline, per frame with k notes on (k = 8 here): the NADE's forward pass is nv nh FMAs for the s_i
 * (26,400 flops) plus (k + 1) nh sigmoids for h and 3 nv transcendentals for p and log p (about 30,000 flops); its
 * backward pass 2 nv nh FMAs (sum ds_i V[:, i], dV += ds h: 52,800 flops) and the same sigmoids again: NADE about
 * 140,000 flops. The RNN part's products per frame: forward v Wvu, u Wuu, u Wuv, u Wuh (nv nu + nu^2 + nu nv + nu nh
 * = 43,800 FMAs, 87,600 flops), backward twice that (175,000): in all about 400,000 flops a frame. Bytes: every
 * weight is read from L2 (the 69,438 parameters, 278 KB, with their gradients and optimizer state) once per update
 * of 100 frames (about 11 KB a frame) and the frame's own activations (v, p, bv(t), bh(t), u(t), their gradients:
 * about 4 KB): 15 KB a frame, 27 flops per byte, far to the compute side of the 2 cores' ridge (about 200 GFLOP/s of
 * FMA over some 30 GB/s of DRAM, 7 flops per byte). The bar, 100,000 frames/s, is 40 GFLOP/s: a fifth of the FMA
 * peak. What keeps us from it is latency, not throughput: each s_i is a chain of nh / 16 = 10 dependent FMAs and a
 * lane sum, the units one after another because a changes after every note.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class RnnNadeTrainBenchmark {
    static final int T = 100, NV = 88;

    @Param({"scalar", "simd-1t", "simd-2t"})
    public String impl;

    @Param({"tanh", "lstm"})
    public String recurrence;

    /** Chunks per update: with one, a second thread has only the products over the chunk to split. */
    @Param({"1", "4"})
    public int batch;

    private Backend backend;
    private RnnNadeTrainer trainer;
    private Tensor v;

    private RnnNadeConfig config() {
        RnnNadeConfig c = RnnNadeConfig.defaults();
        return recurrence.equals("lstm") ? c.withLstmLayers(new int[] {c.nu()}) : c;
    }

    private static float[] frames(int rows) {
        float[] hv = Impl.random(rows * NV, 12);
        for (int i = 0; i < hv.length; i++) hv[i] = hv[i] > 0.82f ? 1f : 0f;    // about 8 notes per frame
        return hv;
    }

    @Setup
    public void setup() {
        backend = Impl.create(impl);
        trainer = new RnnNadeTrainer(backend, config(), NV);
        v = backend.of(frames(T * batch), T * batch, NV);
        if (!impl.equals("scalar")) {
            // one update here and on the scalar reference from the same start: the same cost and parameters
            try (Backend ref = Impl.create("scalar")) {
                RnnNadeTrainer r = new RnnNadeTrainer(ref, config(), NV);
                double want = r.step(ref.of(frames(T * batch), T * batch, NV), T, batch, 1f);
                RnnNadeTrainer here = new RnnNadeTrainer(backend, config(), NV);
                double got = here.step(v, T, batch, 1f);
                Impl.check("rnn-nade cost", new float[] {(float) got}, new float[] {(float) want}, 1e-5);
                Impl.check("rnn-nade parameters after one update", backend.toArray(here.model.params), ref.toArray(r.model.params), 1e-5);
            }
        }
    }

    @TearDown
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public double trainChunk(Elements frames) {
        double cost = trainer.step(v, T, batch, 1f);
        frames.elements += (long) T * batch;
        return cost;
    }

    /** The recurrence and biases alone. */
    @Benchmark
    public Tensor forwardOnly(Elements frames) {
        Tensor u = trainer.model.forward(v, T, batch);
        frames.elements += (long) T * batch;
        return u;
    }
}
