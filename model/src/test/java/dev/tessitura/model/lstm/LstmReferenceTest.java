package dev.tessitura.model.lstm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.model.Fixture;
import static dev.tessitura.model.Fixture.relErr;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LstmReferenceTest {

    /** Builds our layout from PyTorch's: Wx = weight_ih^T, Wh = weight_hh^T, b = bias_ih + bias_hh, Wy = out.weight^T. */
    static LstmReference fromPyTorch(Fixture f) {
        int nIn = f.config("n_in"), h = f.config("hidden"), layers = f.config("layers");
        int[] hidden = new int[layers];
        java.util.Arrays.fill(hidden, h);
        LstmReference m = new LstmReference(nIn, hidden, nIn);
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? nIn : h;
            transpose(f.tensor("params", "weight_ih_l" + l), 4 * h, in, m.wx[l]);
            transpose(f.tensor("params", "weight_hh_l" + l), 4 * h, h, m.wh[l]);
            double[] bi = f.tensor("params", "bias_ih_l" + l), bh = f.tensor("params", "bias_hh_l" + l);
            for (int q = 0; q < 4 * h; q++) m.b[l][q] = bi[q] + bh[q];
        }
        transpose(f.tensor("params", "out.weight"), nIn, h, m.wy);
        System.arraycopy(f.tensor("params", "out.bias"), 0, m.by, 0, nIn);
        return m;
    }

    /** dst (cols, rows) = src (rows, cols)^T. */
    static void transpose(double[] src, int rows, int cols, double[] dst) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
    }

    @Test
    void matchesPyTorchLossLogitsAndEveryGradient() {
        Fixture f = Fixture.load("/lstm/lstm_2layer_small.json");
        LstmReference m = fromPyTorch(f);
        int batch = f.config("batch"), steps = f.config("T"), h = f.config("hidden"), nIn = f.config("n_in");
        double[] x = f.tensor("inputs", "x"), y = f.tensor("inputs", "y");
        LstmReference.Result r = m.lossAndGrads(x, y, batch, steps);
        assertEquals(f.scalar("outputs", "loss"), r.loss(), 1e-12 * Math.abs(f.scalar("outputs", "loss")));
        assertTrue(relErr(m.logits(x, batch, steps), f.tensor("outputs", "logits")) < 1e-12);
        LstmReference.Grads g = r.grads();
        double[] t = new double[Math.max(nIn, h) * 4 * h];
        for (int l = 0; l < 2; l++) {
            int in = l == 0 ? nIn : h;
            // PyTorch's gradients are of weight_ih (4H, in): compare with ours transposed
            double[] want = f.tensor("grads", "weight_ih_l" + l), got = new double[want.length];
            transpose(g.wx[l], in, 4 * h, got);
            assertTrue(relErr(got, want) < 1e-9, "weight_ih_l" + l + " " + relErr(got, want));
            want = f.tensor("grads", "weight_hh_l" + l);
            got = new double[want.length];
            transpose(g.wh[l], h, 4 * h, got);
            assertTrue(relErr(got, want) < 1e-9, "weight_hh_l" + l);
            // both PyTorch biases get the same gradient, ours
            assertTrue(relErr(g.b[l], f.tensor("grads", "bias_ih_l" + l)) < 1e-9, "bias_ih_l" + l);
            assertTrue(relErr(g.b[l], f.tensor("grads", "bias_hh_l" + l)) < 1e-9, "bias_hh_l" + l);
        }
        double[] want = f.tensor("grads", "out.weight"), got = new double[want.length];
        transpose(g.wy, h, nIn, got);
        assertTrue(relErr(got, want) < 1e-9, "out.weight");
        assertTrue(relErr(g.by, f.tensor("grads", "out.bias")) < 1e-9, "out.bias");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gradientsMatchFiniteDifferences(boolean skip) {
        // tiny sizes, 3 layers of different widths, every parameter checked by central differences in float64; with
        // skip also the input's weights into layers 1 and 2 and the read-out's from layers 0 and 1
        SplittableRandom rnd = new SplittableRandom(11);
        int nIn = 5, batch = 2, steps = 4;
        LstmReference m = new LstmReference(nIn, new int[] {3, 4, 2}, nIn, skip);
        assertEquals(skip ? 5 * 16 : 0, m.wi[1].length);
        assertEquals(skip ? 4 * 5 : 0, m.wyl[1].length);
        double[][] all = {m.wx[0], m.wh[0], m.b[0], m.wx[1], m.wh[1], m.b[1], m.wx[2], m.wh[2], m.b[2], m.wy, m.by,
                m.wi[1], m.wi[2], m.wyl[0], m.wyl[1]};
        for (double[] p : all) for (int i = 0; i < p.length; i++) p[i] = rnd.nextDouble(-0.8, 0.8);
        double[] x = new double[batch * steps * nIn], y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextInt(2);
            y[i] = rnd.nextInt(2);
        }
        LstmReference.Grads g = m.lossAndGrads(x, y, batch, steps).grads();
        double[][] grads = {g.wx[0], g.wh[0], g.b[0], g.wx[1], g.wh[1], g.b[1], g.wx[2], g.wh[2], g.b[2], g.wy, g.by,
                g.wi[1], g.wi[2], g.wyl[0], g.wyl[1]};
        double eps = 1e-6;
        for (int k = 0; k < all.length; k++) {
            for (int i = 0; i < all[k].length; i++) {
                double saved = all[k][i];
                all[k][i] = saved + eps;
                double up = m.loss(x, y, batch, steps);
                all[k][i] = saved - eps;
                double down = m.loss(x, y, batch, steps);
                all[k][i] = saved;
                double fd = (up - down) / (2 * eps);
                // central differences are accurate to O(eps^2) ~ 1e-12 plus rounding ~ 1e-16 / eps ~ 1e-10
                assertEquals(fd, grads[k][i], 1e-8 + 1e-6 * Math.abs(fd), "parameter block " + k + " index " + i);
            }
        }
    }
}
