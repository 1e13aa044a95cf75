package dev.tessitura.bench;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.rnnrbm.RnnRbm;
import dev.tessitura.model.rnnrbm.RnnRbmConfig;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
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
 * One training update of the RNN-RBM at the tutorial's sizes (88 visible, 150 hidden, 100 recurrent, CD-15) on a
 * chunk of 100 frames: recurrence, batched biases, the CD-15 chain of all 100 conditional RBMs, free-energy
 * gradients, BPTT and the SGD step. The "elements" rate counts frames: frames/s (issue 4's bar: 50,000 on 2 cores).
 * {@code recurrence = lstm}: the LSTM-RBM, the same RBM part with one LSTM layer of 100 units making u(t).
 * {@code state = trained}: W, bv and bh drawn so that the chain's samples are as sparse as those of a trained
 * Nottingham model, which the SIMD backend's products exploit (run D of REPRODUCTION.md: 4.5 % of the visible and
 * 32 % of the hidden samples are ones; here 4.7 % and 31 %, counted; a fresh model's are ~40-50 %): W with D's mean
 * and spread, -0.05 ± 0.49, bv -9 ± 3 and bh -1 ± 0.68 (D's -6.6 ± 4.0 and -0.36 ± 0.68 give denser samples without
 * its structure). "fresh" is the tutorial's initialisation. {@code batch} B > 1: B chunks of 100 per update (the
 * batched mode, {@code train --batch B}), frames/s counting all T B frames.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class RnnRbmTrainBenchmark {
    static final int T = 100, NV = 88;

    @Param({"scalar", "simd-1t", "simd-2t"})
    public String impl;

    @Param({"tanh", "lstm"})
    public String recurrence;

    @Param({"fresh", "trained"})
    public String state;

    @Param({"1"})
    public int batch;

    private Backend backend;
    private RnnRbmTrainer trainer;
    private Tensor v;

    @Setup
    public void setup() {
        backend = Impl.create(impl);
        RnnRbmConfig d = RnnRbmConfig.defaults();
        if (recurrence.equals("lstm")) {
            d = RnnRbmConfig.defaults().withNh(d.nh()).withNu(d.nu()).withK(d.k()).withChunk(d.chunk()).withOptimizer(d.optimizer()).withLrRbm(d.lrRbm()).withLrRnn(d.lrRnn()).withMomentum(d.momentum()).withClipNorm(d.clipNorm()).withLrDecay(d.lrDecay()).withSeed(d.seed()).withLstmLayers(new int[] {d.nu()});
        }
        trainer = new RnnRbmTrainer(backend, d, NV);
        if (state.equals("trained")) {
            RnnRbm m = trainer.model;
            java.util.SplittableRandom r = new java.util.SplittableRandom(13);
            normal(m.W, -0.05, 0.49, r);
            normal(m.bv, -9.0, 3.0, r);
            normal(m.bh, -1.0, 0.68, r);
        }
        float[] hv = Impl.random(T * batch * NV, 12);
        for (int i = 0; i < hv.length; i++) hv[i] = hv[i] > 0.91f ? 1f : 0f;     // about 4 notes per frame, as Nottingham
        v = backend.of(hv, T * batch, NV);
        trainer.model.forward(v, T, batch);   // chainOnly samples with the biases of a forward pass
    }

    /** t = mean + sd N(0, 1), drawn on the host. */
    private void normal(Tensor t, double mean, double sd, java.util.SplittableRandom r) {
        float[] h = new float[Math.toIntExact(t.size())];
        for (int i = 0; i < h.length; i++) h[i] = (float) (mean + sd * r.nextGaussian());
        backend.copyFromHost(t, h, 0);
    }

    @TearDown
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public double trainChunk(Elements frames) {
        double cost = trainer.step(v, T, batch, 1f);
        frames.elements += T * batch;
        return cost;
    }

    /** The parts, to see where the time goes: the recurrence and biases alone. */
    @Benchmark
    public Tensor forwardOnly(Elements frames) {
        RnnRbm m = trainer.model;
        Tensor u = m.forward(v, T, batch);
        frames.elements += T * batch;
        return u;
    }

    /** The CD-15 chain of the 100 conditional RBMs alone. */
    @Benchmark
    public Tensor chainOnly(Elements frames) {
        Tensor neg = trainer.model.sampleNegatives(v, T, 15, trainer.rng);
        frames.elements += T * batch;
        return neg;
    }
}
