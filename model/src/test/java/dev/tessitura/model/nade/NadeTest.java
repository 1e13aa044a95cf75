package dev.tessitura.model.nade;

import static dev.tessitura.model.Fixture.relErr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rnnrbm.RnnRbmTest;
import dev.tessitura.model.rnnrbm.RnnRbmTrainerTest;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine's NADE ops against the PyTorch-verified {@link NadeReference} (a known answer for every CPU backend, with
 * per-frame and shared biases), and the frame-level {@code nade} model: it learns, and resumes bit for bit.
 */
class NadeTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void theEngineOpsAreTheReferenceNade(String backend) {
        SplittableRandom r = new SplittableRandom(51);
        int nv = 13, nh = 7, steps = 9;
        NadeReference ref = new NadeReference(nv, nh);
        for (double[] p : ref.params()) for (int i = 0; i < p.length; i++) p[i] = (float) r.nextDouble(-1, 1);
        double[] v = NadeReferenceTest.randomBinary(r, steps * nv), bvt = new double[steps * nv], bht = new double[steps * nh];
        for (int i = 0; i < bvt.length; i++) bvt[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < bht.length; i++) bht[i] = (float) r.nextDouble(-1, 1);
        double worst = 0;
        try (Backend be = RnnRbmTest.create(backend)) {
            Tensor w = be.of(RnnRbmTest.floats(ref.W), nv, nh), vw = be.of(RnnRbmTest.floats(ref.V), nh, nv), tv = be.of(RnnRbmTest.floats(v), steps, nv);
            for (boolean perRow : new boolean[] {false, true}) {
                String at = backend + (perRow ? " per-frame biases " : " shared biases ");
                Tensor bv = perRow ? be.of(RnnRbmTest.floats(bvt), steps, nv) : be.of(RnnRbmTest.floats(ref.bv), nv);
                Tensor bh = perRow ? be.of(RnnRbmTest.floats(bht), steps, nh) : be.of(RnnRbmTest.floats(ref.bh), nh);
                NadeReference.Forward fw = perRow ? ref.forward(v, bvt, bht, steps) : ref.forward(v, steps);
                Tensor logp = be.zeros(steps), p = be.zeros(steps, nv);
                be.nadeForward(logp, p, tv, w, vw, bv, bh);
                worst = Math.max(worst, check(relErr(be.toArray(logp), fw.logP()), 1e-6, at + "log p"));
                worst = Math.max(worst, check(relErr(be.toArray(p), fw.p()), 1e-6, at + "conditionals"));

                NadeReference.Grads g = ref.backward(fw, v, 0.5);
                Tensor dW = be.zeros(nv, nh), dV = be.zeros(nh, nv);
                Tensor dBv = perRow ? be.zeros(steps, nv) : be.zeros(nv), dBh = perRow ? be.zeros(steps, nh) : be.zeros(nh);
                be.nadeBackward(dW, dV, dBv, dBh, tv, p, w, vw, bh, 0.5f);
                worst = Math.max(worst, check(relErr(be.toArray(dW), g.W()), 1e-5, at + "dW"));
                worst = Math.max(worst, check(relErr(be.toArray(dV), g.V()), 1e-5, at + "dV"));
                worst = Math.max(worst, check(relErr(be.toArray(dBv), perRow ? g.bvt() : g.bv()), 1e-5, at + "dbv"));
                worst = Math.max(worst, check(relErr(be.toArray(dBh), perRow ? g.bht() : g.bh()), 1e-5, at + "dbh"));

                // sampling: the reference's frame for the same uniforms (the op's layout: unit i of row t is element t nv + i)
                Tensor sv = be.zeros(steps, nv), sp = be.zeros(steps, nv);
                be.nadeSample(sv, sp, w, vw, bv, bh, new Rng(4, 2));
                float[] u = new float[steps * nv], got = be.toArray(sv);
                Philox.uniforms(4, 2, 0, u, 0, u.length);
                for (int t = 0; t < steps; t++) {
                    double[] ut = new double[nv];
                    for (int i = 0; i < nv; i++) ut[i] = u[t * nv + i];
                    double[] want = ref.sample(perRow ? java.util.Arrays.copyOfRange(bvt, t * nv, (t + 1) * nv) : ref.bv,
                            perRow ? java.util.Arrays.copyOfRange(bht, t * nh, (t + 1) * nh) : ref.bh, ut);
                    for (int i = 0; i < nv; i++) assertEquals(want[i], got[t * nv + i], at + "sampled frame " + t + " unit " + i);
                }
            }
        }
        System.out.printf(Locale.ROOT, "nade ops %s vs NadeReference: worst relative error %.2g%n", backend, worst);
    }

    private static double check(double err, double bound, String what) {
        assertTrue(err < bound, what + ": relative error " + err);
        return err;
    }

    @Test
    void theFrameNadeLearnsTheChordsAndResumesBitForBit() throws Exception {
        NadeConfig c = NadeConfig.defaults().withNh(8).withBatch(16).withOptimizer(dev.tessitura.model.Optimizer.Kind.ADAM).withLr(0.03f).withSeed(5);
        float[] want;
        try (Backend be = RnnRbmTest.create("simd-2")) {
            NadeTrainer t = new NadeTrainer(be, c, RnnRbmTrainerTest.NOTES);
            double before = t.nll(RnnRbmTrainerTest.tunes());
            for (int e = 0; e < 30; e++) t.trainEpoch(RnnRbmTrainerTest.tunes(), Position.start(e), () -> false, null);
            double after = t.nll(RnnRbmTrainerTest.tunes());
            // the frames are 4 chords equally often: log 4 = 1.39 nats per frame is the best a model of frames alone can do
            assertTrue(before > 6 && after < 1.6 && after > 1.3, "NLL per frame " + before + " -> " + after);
            want = be.toArray(t.params);
        }
        Path ckpt = tmp.resolve("nade.safetensors");
        try (Backend be = RnnRbmTest.create("simd-1")) {
            NadeTrainer t = new NadeTrainer(be, c, RnnRbmTrainerTest.NOTES);
            for (int e = 0; e < 12; e++) t.trainEpoch(RnnRbmTrainerTest.tunes(), Position.start(e), () -> false, null);
            int[] calls = {0};
            EpochResult r = t.trainEpoch(RnnRbmTrainerTest.tunes(), Position.start(12), () -> ++calls[0] >= 3, null);
            assertFalse(r.completed());
            t.save(ckpt, r.next(), Map.of());
        }
        try (Backend be = RnnRbmTest.create("simd-2")) {
            SafeTensors.Contents s = SafeTensors.read(ckpt);
            assertEquals("nade", s.metadata().get("kind"));
            assertEquals("16", s.metadata().get("batch"));
            assertEquals(3, Position.fromMetadata(s.metadata()).index());
            NadeTrainer t = NadeTrainer.load(be, s, NadeKind.NADE.config(s));
            t.trainEpoch(RnnRbmTrainerTest.tunes(), Position.fromMetadata(s.metadata()), () -> false, null);
            for (int e = 13; e < 30; e++) t.trainEpoch(RnnRbmTrainerTest.tunes(), Position.start(e), () -> false, null);
            assertArrayEquals(want, be.toArray(t.params));
        }
    }
}
