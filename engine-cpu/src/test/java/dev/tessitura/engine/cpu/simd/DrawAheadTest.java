package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.ConformanceSupport.binary;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The uniforms a multi-threaded SimdBackend draws ahead, in its workers' idle time, for the chain that continues the
 * last chain's stream: taken where they match, they give the bits a single thread (which draws nothing ahead) gives,
 * also when the next chain is longer than what was drawn, when another draw moves the stream in between, and when
 * the next chain uses another stream.
 */
class DrawAheadTest {
    static final int NV = 88, NH = 50, K = 3;    // 40 rows: past the parallel threshold; 7: below it

    /** A sequence of chains and draws on two streams; returns every output in order. */
    static List<float[]> run(Backend be, boolean pause) {
        SplittableRandom r = new SplittableRandom(21);
        Tensor w = be.of(random(r, NV * NH, -1, 1), NV, NH), bv = be.of(random(r, NV, -1, 1), NV), bh = be.of(random(r, NH, -1, 1), NH);
        Rng a = new Rng(5, 3), b = new Rng(5, 4);
        List<float[]> out = new ArrayList<>();
        // on stream a: as long as, longer than and shorter than what was drawn ahead; then, after another draw on a,
        // a chain that does not continue it; then one on stream b, and one on a again: neither matches
        int[] rows = {40, 40, 100, 7, 40, 40, 40};
        for (int i = 0; i < rows.length; i++) {
            Tensor v = be.of(binary(r, rows[i] * NV), rows[i], NV), vProb = be.zeros(rows[i], NV);
            Rng rng = i == 5 ? b : a;
            be.gibbsChain(v, vProb, w, bv, bh, K, rng);
            out.add(be.toArray(v));
            out.add(be.toArray(vProb));
            if (i == 3) {                                  // another draw on the same stream before the next chain
                Tensor u = be.zeros(33);
                be.uniform(u, a);
                out.add(be.toArray(u));
            }
            if (pause) sleep(20);                          // let the workers draw ahead
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void drawnAheadUniformsGiveTheSingleThreadsBits(int threads) {
        List<float[]> want;
        try (Backend one = Backends.create("simd", new BackendOptions(1, 256))) {
            want = run(one, false);
        }
        for (boolean pause : new boolean[] {true, false}) {
            try (Backend many = Backends.create("simd", new BackendOptions(threads, 256))) {
                List<float[]> got = run(many, pause);
                for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), got.get(i), "output " + i + ", pause " + pause);
                long used = ((SimdBackend) many).rbm.drawnAheadUsed.get();
                if (pause) assertTrue(used > 0, "with idle time between chains, some uniforms come from the draws ahead");
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
