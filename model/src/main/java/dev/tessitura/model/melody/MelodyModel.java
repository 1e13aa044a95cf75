package dev.tessitura.model.melody;

import static dev.tessitura.model.melody.MelodyEncoding.CLASSES;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.lstm.Lstm;
import java.util.Arrays;
import java.util.List;

/**
 * The monophonic melody LSTM, Magenta Melody RNN's "basic_rnn" configuration: one-hot events of
 * {@link MelodyEncoding} in, a softmax over the next event out, trained by Adam on the mean cross-entropy per event.
 *
 * <p>Model: {@link Lstm} with nIn = nOut = 38 (default 2 layers of 128), its logits read by a softmax:
 * loss = -(1/N) sum over the N real (input, target) pairs of log softmax(logits)_target. The gradient
 * d loss / d logits = (softmax(logits) - onehot(target)) / N comes from {@link Backend#softmaxCrossEntropy}
 * (padding rows give 0) and goes back through {@link Lstm#backwardFromLogits}.
 *
 * <p>Training ({@link MelodyTrainer}): minibatches of {@link MelodyBatches} with the state carried between the chunks of a melody (truncated
 * BPTT), the gradient clipped to a global L2 norm of at most {@link Config#clipNorm} (Magenta: 5), one Adam step
 * (Magenta: lr 0.001). Initialisation: weights N(0, initStd^2) from Philox (see {@link Lstm#initNormal}; Magenta uses
 * Glorot uniform, std about 0.05 at 128 units), biases 0 except the forget gates' at 1 (TensorFlow's BasicLSTMCell,
 * which Magenta uses, adds forget_bias = 1).
 *
 * <p>Generation ({@link MelodySampling}): primed with a melody, each next event drawn from softmax(logits / temperature) with one Philox
 * uniform per step, so a seed gives the same melody on every backend up to float rounding of the logits;
 * temperature 0 takes the argmax.
 */
public final class MelodyModel {
    /** Over all predicted events: their count, the mean negative log-likelihood in nats, argmax accuracy. */
    public record Evaluation(long events, double nll, double accuracy) {}

    final Backend be;
    private final MelodyConfig config;
    public final Lstm lstm;
    private final Tensor x, y;             // (L B, CLASSES) one-hot inputs and targets
    private final float[] xHost, yHost;    // the same on the host

    public MelodyModel(Backend backend, MelodyConfig config) {
        this.be = backend;
        this.config = config;
        int[] hidden = config.hidden();
        lstm = new Lstm(backend, CLASSES, hidden, CLASSES);
        lstm.initNormal(config.initStd(), config.seed());
        for (int l = 0; l < hidden.length; l++) be.fill(lstm.param("b" + l).view(hidden[l], hidden[l]), 1f);   // (i, f, g, o): f
        int rows = config.steps() * config.batch();
        x = be.zeros(rows, CLASSES);
        y = be.zeros(rows, CLASSES);
        xHost = new float[rows * CLASSES];
        yHost = new float[rows * CLASSES];
    }

    public MelodyConfig config() { return config; }

    /** Forward and backward on one minibatch: sets {@code lstm.grads} to d loss / d params; returns the loss. */
    public double lossAndGradient(MelodyBatches.Batch mb) {
        Tensor logits = forward(mb);
        Tensor dLogits = lstm.logitsGradient();
        double sum = be.softmaxCrossEntropy(dLogits, logits, y);     // dLogits = q - onehot(target), 0 on padding
        be.scale(dLogits, 1f / mb.events());
        lstm.zeroGrads();
        lstm.backwardFromLogits(dLogits);
        return sum / mb.events();
    }

    private Tensor forward(MelodyBatches.Batch mb) {
        int rows = config.steps() * config.batch();
        if (mb.inputs().length != rows) {
            throw new IllegalArgumentException("melody model: a minibatch of " + mb.inputs().length + " positions, the config says "
                    + config.steps() + " steps x " + config.batch() + " melodies");
        }
        Arrays.fill(xHost, 0f);
        Arrays.fill(yHost, 0f);
        for (int r = 0; r < rows; r++) {
            if (mb.inputs()[r] >= 0) xHost[r * CLASSES + mb.inputs()[r]] = 1f;
            if (mb.targets()[r] >= 0) yHost[r * CLASSES + mb.targets()[r]] = 1f;
        }
        be.copyFromHost(x, xHost, 0);
        be.copyFromHost(y, yHost, 0);
        return lstm.forward(x, config.steps(), config.batch(), mb.carry());
    }

    /** Mean NLL per event and argmax accuracy of predicting every event t >= 1 of every melody from those before it. */
    public Evaluation evaluate(List<int[]> melodies) {
        return evaluate(melodies, () -> false);
    }

    /** As above, checking {@code stop} between minibatches: null when it asked to stop. */
    public Evaluation evaluate(List<int[]> melodies, java.util.function.BooleanSupplier stop) {
        long events = 0, correct = 0;
        double sum = 0;
        float[] logits = new float[config.steps() * config.batch() * CLASSES];
        for (MelodyBatches.Batch mb : MelodyBatches.epoch(melodies, config.batch(), config.steps(), false, 0, 0)) {
            if (stop.getAsBoolean()) return null;
            Tensor out = forward(mb);
            sum += be.softmaxCrossEntropy(null, out, y);
            be.copyToHost(logits, 0, out);
            for (int r = 0; r < mb.targets().length; r++) {
                if (mb.targets()[r] < 0) continue;
                if (argmax(logits, r * CLASSES, CLASSES) == mb.targets()[r]) correct++;
            }
            events += mb.events();
        }
        if (events == 0) throw new IllegalArgumentException("melody model: nothing to evaluate (no melody of 2 or more events)");
        return new Evaluation(events, sum / events, (double) correct / events);
    }

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (a[off + j] > a[off + best]) best = j;
        return best;
    }
}
