package dev.tessitura.model.melody;

import static dev.tessitura.model.melody.MelodyEncoding.CLASSES;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.lstm.Lstm;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The monophonic melody LSTM, Magenta Melody RNN's "basic_rnn" configuration: one-hot events of
 * {@link MelodyEncoding} in, a softmax over the next event out, trained by Adam on the mean cross-entropy per event.
 *
 * <p>Model: {@link Lstm} with nIn = nOut = 38 (default 2 layers of 128), its logits read by a softmax:
 * loss = -(1/N) sum over the N real (input, target) pairs of log softmax(logits)_target. The gradient
 * d loss / d logits = (softmax(logits) - onehot(target)) / N comes from {@link Backend#softmaxCrossEntropy}
 * (padding rows give 0) and goes back through {@link Lstm#backwardFromLogits}.
 *
 * <p>Training: minibatches of {@link MelodyBatches} with the state carried between the chunks of a melody (truncated
 * BPTT), the gradient clipped to a global L2 norm of at most {@link Config#clipNorm} (Magenta: 5), one Adam step
 * (Magenta: lr 0.001). Initialisation: weights N(0, initStd^2) from Philox (see {@link Lstm#initNormal}; Magenta uses
 * Glorot uniform, std about 0.05 at 128 units), biases 0 except the forget gates' at 1 (TensorFlow's BasicLSTMCell,
 * which Magenta uses, adds forget_bias = 1).
 *
 * <p>Generation: primed with a melody, each next event drawn from softmax(logits / temperature) with one Philox
 * uniform per step, so a seed gives the same melody on every backend up to float rounding of the logits;
 * temperature 0 takes the argmax.
 */
public final class MelodyModel {
    /**
     * Hyper-parameters.
     * @param hidden   LSTM layer sizes (Magenta basic_rnn: 128, 128)
     * @param batch    melodies per minibatch (Magenta: 128; less padding on small data with 64)
     * @param steps    steps per chunk of truncated back-propagation (Magenta back-propagates whole melodies of up to
     *                 512 steps; 128 keeps memory bounded and carries the state over)
     * @param lr       Adam learning rate
     * @param clipNorm the largest global L2 norm of the gradient, 0 = no clipping
     */
    public record Config(int[] hidden, int batch, int steps, float lr, float clipNorm, double initStd, long seed) {
        public static Config defaults() {
            return new Config(new int[] {128, 128}, 64, 128, 0.001f, 5f, 0.1, 1);
        }

        public Config {
            hidden = hidden.clone();
            if (hidden.length == 0) throw new IllegalArgumentException("melody model: at least one LSTM layer");
            for (int h : hidden) if (h < 1) throw new IllegalArgumentException("melody model: layer size " + h + " must be >= 1");
            if (batch < 1 || steps < 1) throw new IllegalArgumentException("melody model: batch and steps must be >= 1, got " + batch + ", " + steps);
            if (!(lr > 0) || !(clipNorm >= 0) || !(initStd >= 0)) {
                throw new IllegalArgumentException("melody model: need lr > 0, clipNorm >= 0, initStd >= 0; got " + lr + ", " + clipNorm + ", " + initStd);
            }
        }

        @Override
        public int[] hidden() { return hidden.clone(); }
    }

    /** Over all predicted events: their count, the mean negative log-likelihood in nats, argmax accuracy. */
    public record Evaluation(long events, double nll, double accuracy) {}

    private final Backend be;
    private final Config config;
    public final Lstm lstm;
    public final Optimizer optimizer;
    private final Tensor x, y;             // (L B, CLASSES) one-hot inputs and targets
    private final float[] xHost, yHost;    // the same on the host

    public MelodyModel(Backend backend, Config config) {
        this.be = backend;
        this.config = config;
        int[] hidden = config.hidden();
        lstm = new Lstm(backend, CLASSES, hidden, CLASSES);
        lstm.initNormal(config.initStd(), config.seed());
        for (int l = 0; l < hidden.length; l++) be.fill(lstm.param("b" + l).view(hidden[l], hidden[l]), 1f);   // (i, f, g, o): f
        optimizer = new Optimizer(backend, Optimizer.Kind.ADAM, lstm.params, 0f);
        int rows = config.steps() * config.batch();
        x = be.zeros(rows, CLASSES);
        y = be.zeros(rows, CLASSES);
        xHost = new float[rows * CLASSES];
        yHost = new float[rows * CLASSES];
    }

    public Config config() { return config; }

    /**
     * One epoch over {@code melodies} (seeded shuffle per epoch); returns the mean NLL per event. {@code progress}
     * receives each minibatch's event count. Throws {@link DivergedException}, before the update, on a NaN or infinity.
     */
    public double trainEpoch(List<int[]> melodies, int epoch, IntConsumer progress) {
        return trainEpoch(melodies, Position.start(epoch), () -> false, progress).meanCost();
    }

    /**
     * Trains from {@code from} to the end of its epoch, or until {@code stop} says so; it stops only before a
     * minibatch that starts new melodies (no LSTM state carried into it), so a checkpoint resumes exactly.
     */
    public EpochResult trainEpoch(List<int[]> melodies, Position from, BooleanSupplier stop, IntConsumer progress) {
        List<MelodyBatches.Batch> batches = MelodyBatches.epoch(melodies, config.batch(), config.steps(), true, config.seed(), from.epoch());
        double total = from.costSum();
        long events = from.frames();
        for (int i = from.index(); i < batches.size(); i++) {
            MelodyBatches.Batch mb = batches.get(i);
            if (!mb.carry() && i > from.index() && stop.getAsBoolean()) {
                return new EpochResult(total / Math.max(events, 1), new Position(from.epoch(), i, total, events), false);
            }
            total += step(mb) * mb.events();
            events += mb.events();
            if (progress != null) progress.accept(mb.events());
        }
        return new EpochResult(total / Math.max(events, 1), Position.start(from.epoch() + 1), true);
    }

    /** Events one epoch predicts (for progress bars): all but the first of every melody. */
    public static long eventsPerEpoch(List<int[]> melodies) {
        long n = 0;
        for (int[] m : melodies) n += Math.max(m.length - 1, 0);
        return n;
    }

    // ---------------------------------------------------------------- checkpoints

    public static final String KIND = "melody-lstm";

    /** Writes parameters, Adam's state and the configuration atomically. */
    public void save(Path file, Position at, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put("kind", KIND);
        StringBuilder h = new StringBuilder();
        for (int x : config.hidden()) h.append(h.isEmpty() ? "" : ",").append(x);
        meta.put("hidden", h.toString());
        meta.put("batch", Integer.toString(config.batch()));
        meta.put("steps", Integer.toString(config.steps()));
        meta.put("lr", Float.toString(config.lr()));
        meta.put("clip_norm", Float.toString(config.clipNorm()));
        meta.put("init_std", Double.toString(config.initStd()));
        meta.put("seed", Long.toString(config.seed()));
        meta.putAll(at.toMetadata());
        Map<String, SafeTensors.F32> tensors = new LinkedHashMap<>();
        for (String name : lstm.paramNames()) tensors.put(name, Checkpoints.of(be, lstm.param(name)));
        Checkpoints.putOptimizer(be, optimizer, tensors, meta);
        SafeTensors.write(file, meta, tensors);
    }

    public static MelodyModel load(Backend backend, SafeTensors.Contents c) {
        Map<String, String> m = c.metadata();
        if (!KIND.equals(m.get("kind"))) throw new IllegalArgumentException("not a melody checkpoint (kind " + m.get("kind") + ")");
        String[] hs = m.get("hidden").split(",");
        int[] hidden = new int[hs.length];
        for (int i = 0; i < hs.length; i++) hidden[i] = Integer.parseInt(hs[i]);
        MelodyModel model = new MelodyModel(backend, new Config(hidden, Integer.parseInt(m.get("batch")), Integer.parseInt(m.get("steps")),
                Float.parseFloat(m.get("lr")), Float.parseFloat(m.get("clip_norm")), Double.parseDouble(m.get("init_std")),
                Long.parseLong(m.get("seed"))));
        for (String name : model.lstm.paramNames()) Checkpoints.restore(backend, model.lstm.param(name), c, name);
        Checkpoints.restoreOptimizer(backend, model.optimizer, c);
        return model;
    }

    /** One Adam update on one minibatch (of this config's batch and steps); returns its mean NLL per event. */
    public double step(MelodyBatches.Batch mb) {
        double loss = lossAndGradient(mb);
        double norm2 = be.sumOfSquares(lstm.grads);
        if (!Double.isFinite(loss) || !Double.isFinite(norm2)) {
            throw new DivergedException("melody model: the cost or the gradient is not finite (cost " + loss
                    + ", squared gradient norm " + norm2 + "); try a smaller learning rate");
        }
        double norm = Math.sqrt(norm2);
        if (config.clipNorm() > 0 && norm > config.clipNorm()) be.scale(lstm.grads, (float) (config.clipNorm() / norm));
        optimizer.begin();
        optimizer.apply(lstm.params, lstm.grads, 0, Math.toIntExact(lstm.params.size()), config.lr());
        return loss;
    }

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
        long events = 0, correct = 0;
        double sum = 0;
        float[] logits = new float[config.steps() * config.batch() * CLASSES];
        for (MelodyBatches.Batch mb : MelodyBatches.epoch(melodies, config.batch(), config.steps(), false, 0, 0)) {
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

    /**
     * Continues {@code primer} (at least one event) by {@code steps} events and returns primer + continuation. Event
     * t + 1 is drawn from softmax(logits_t / temperature) with the uniform of block t of Philox stream (seed, 2)
     * (see {@link #sample}); temperature 0 takes the argmax. Resets the carried LSTM state.
     */
    public int[] generate(int[] primer, int steps, double temperature, long seed) {
        if (primer.length < 1) throw new IllegalArgumentException("melody model: the primer needs at least one event");
        if (steps < 0) throw new IllegalArgumentException("melody model: cannot generate " + steps + " steps");
        MelodyEncoding.check(primer);
        int total = primer.length + steps;
        int[] out = Arrays.copyOf(primer, total);
        lstm.resetState();
        Tensor xt = be.zeros(1, CLASSES);
        float[] oneHot = new float[CLASSES], logits = new float[CLASSES];
        int[] word = new int[4];
        for (int t = 0; t < total - 1; t++) {
            Arrays.fill(oneHot, 0f);
            oneHot[out[t]] = 1f;
            be.copyFromHost(xt, oneHot, 0);
            be.copyToHost(logits, 0, lstm.forward(xt, 1, 1, true));
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
        int best = argmax(logits, 0, logits.length);
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

    private static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (a[off + j] > a[off + best]) best = j;
        return best;
    }
}
