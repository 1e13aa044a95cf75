package dev.tessitura.model.rnnrbm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Fixture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine RNN-RBM against the PyTorch fixtures, on every CPU backend, with the fixtures' negative samples. */
class RnnRbmTest {
    static Stream<String> cases() {
        return Stream.of("scalar", "simd-1", "simd-2").flatMap(b ->
                Stream.of(b + " /rnnrbm/rnnrbm_small.json", b + " /rnnrbm/rnnrbm_tutorial_size.json"));
    }

    static Backend create(String name) {
        return name.equals("scalar") ? Backends.create("scalar", BackendOptions.defaults())
                : Backends.create("simd", new BackendOptions(Integer.parseInt(name.substring(5)), 0));
    }

    static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    static double relErr(float[] got, double[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void costStatesAndEveryGradientMatchPyTorch(String c) {
        String backend = c.split(" ")[0], resource = c.split(" ")[1];
        Fixture f = Fixture.load(resource);
        int nv = f.config("n_visible"), nh = f.config("n_hidden"), nu = f.config("n_hidden_recurrent"), steps = f.config("T");
        try (Backend be = create(backend)) {
            RnnRbm m = new RnnRbm(be, nv, nh, nu);
            for (String p : RnnRbmReferenceTest.PARAMS) be.copyFromHost(m.param(p), floats(f.tensor("params", p)), 0);
            Tensor v = be.of(floats(f.tensor("inputs", "v")), steps, nv);
            Tensor neg = be.of(floats(f.tensor("inputs", "v_sample")), steps, nv);
            Tensor u = m.forward(v, steps);
            // float32 through T steps of the recurrence: ~1e-6 relative
            assertTrue(relErr(be.toArray(u.slice(1, steps + 1)), f.tensor("outputs", "u")) < 1e-5);
            m.zeroGrads();
            double cost = m.costAndGradients(v, neg, steps), want = f.scalar("outputs", "cost");
            // the cost is a difference of free energies of size ~50: float32 rounding of each is ~1e-5 absolute
            assertEquals(want, cost, 1e-4 * Math.max(1, Math.abs(want)));
            for (String p : RnnRbmReferenceTest.PARAMS) {
                double err = relErr(be.toArray(m.grad(p)), f.tensor("grads", p));
                // the fixtures' README: float32 agrees to about 1e-4
                assertTrue(err < 1e-4, backend + " " + p + ": relative error " + err);
            }
        }
    }
}
