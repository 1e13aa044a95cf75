package dev.tessitura.model.melody;

import static dev.tessitura.model.melody.MelodyEncoding.CLASSES;

import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;

/**
 * Composing with a trained {@link MelodyModel}: primed with a melody, each next event drawn from
 * softmax(logits / temperature) with one Philox uniform per step, so a seed gives the same melody on every backend up
 * to float rounding of the logits; temperature 0 takes the argmax.
 */
public final class MelodySampling {
    private MelodySampling() {}

    /**
     * Continues {@code primer} (at least one event) by {@code steps} events and returns primer + continuation. Event
     * t + 1 is drawn from softmax(logits_t / temperature) with the uniform of block t of Philox stream (seed, 2)
     * (see {@link #sample}); temperature 0 takes the argmax. Resets the carried LSTM state.
     */
    public static int[] generate(MelodyModel m, int[] primer, int steps, double temperature, long seed) {
        if (primer.length < 1) throw new IllegalArgumentException("melody model: the primer needs at least one event");
        if (steps < 0) throw new IllegalArgumentException("melody model: cannot generate " + steps + " steps");
        MelodyEncoding.check(primer);
        int total = primer.length + steps;
        int[] out = Arrays.copyOf(primer, total);
        m.lstm.resetState();
        Tensor xt = m.be.zeros(1, CLASSES);
        float[] oneHot = new float[CLASSES], logits = new float[CLASSES];
        int[] word = new int[4];
        for (int t = 0; t < total - 1; t++) {
            Arrays.fill(oneHot, 0f);
            oneHot[out[t]] = 1f;
            m.be.copyFromHost(xt, oneHot, 0);
            m.be.copyToHost(logits, 0, m.lstm.forward(xt, 1, 1, true));
            if (t + 1 < primer.length) continue;                       // still reading the primer
            Philox.block(seed, 2, t, word);
            out[t + 1] = sample(logits, temperature, Philox.toUniform(word[0]));
        }
        return out;
    }

    /**
     * The class j with cdf_{j-1} <= u < cdf_j of q = softmax(logits / temperature), in float64 (u in [0, 1)); the
     * argmax (first of equal maxima) for temperature 0.
     */
    static int sample(float[] logits, double temperature, float u) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("melody model: temperature must be finite and >= 0, got " + temperature);
        }
        int best = MelodyModel.argmax(logits, 0, logits.length);
        if (temperature == 0) return best;
        double m = logits[best] / temperature, z = 0;
        double[] w = new double[logits.length];
        for (int j = 0; j < w.length; j++) z += w[j] = Math.exp(logits[j] / temperature - m);
        double target = u * z, cdf = 0;
        for (int j = 0; j < w.length; j++) {
            cdf += w[j];
            if (target < cdf) return j;
        }
        return best;                                                   // u * z rounded up to the total: take the mode
    }
}
