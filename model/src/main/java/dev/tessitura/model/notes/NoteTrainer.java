package dev.tessitura.model.notes;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.FrameAccuracy;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Trains and measures a {@link NoteModel}: minibatches of {@link NoteBatches} (B streams of tunes, chunks of T frames,
 * the frame LSTM's state carried from chunk to chunk of a tune), the mean negative log-likelihood per frame, dropout
 * masks drawn from Philox stream (seed, 3) (its position is in the checkpoint), the gradient clipped to a global L2
 * norm, one Adam step per minibatch at the epoch's learning rate ({@link NoteConfig#lr(int)}).
 */
public final class NoteTrainer {
    /**
     * Over all frames of the tunes as one flat list: their count, the mean NLL per frame in nats and its standard error;
     * the frame-level accuracy of frames drawn from the model given the true past, as the mean over frames of each
     * frame's expected accuracy ({@link ExpectedAccuracy}) and pooled ({@link FrameAccuracy}); NaN where not sampled.
     */
    public record Evaluation(long frames, double nll, double nllStdErr, double accExpected, double accPooled) {
        /** Log-likelihood per time step (the papers' tables report this, negative). */
        public double logLikelihood() { return -nll; }
    }

    private final Backend be;
    private final NoteConfig config;
    public final NoteModel model;
    public final Optimizer optimizer;
    /** Dropout's draws. */
    public final Rng rng;
    final NotePass pass;
    private NoteSampler sampler;

    public NoteTrainer(Backend backend, NoteConfig config, int notes) {
        this.be = backend;
        this.config = config;
        this.model = new NoteModel(backend, notes, config.frame(), config.note());
        model.init(config.initStd(), config.seed(), config.forgetBias());
        this.optimizer = new Optimizer(backend, Optimizer.Kind.ADAM, model.params, 0f);
        this.rng = new Rng(config.seed(), 3);
        this.pass = new NotePass(model);
    }

    public NoteConfig config() { return config; }

    /** Frames one epoch trains on (every frame of every tune). */
    public static long framesPerEpoch(List<int[][]> tunes) {
        long n = 0;
        for (int[][] t : tunes) n += t.length;
        return n;
    }

    /**
     * Trains from {@code from} to the end of its epoch, or until {@code stop} says so; it stops only before a
     * minibatch that starts a new pool of tunes (no state carried into it), so that a checkpoint resumes exactly.
     * Throws {@link DivergedException}, before the update, on a cost or gradient that is not finite.
     */
    public EpochResult trainEpoch(List<int[][]> tunes, Position from, BooleanSupplier stop, IntConsumer progress) {
        List<NoteBatches.Batch> batches = NoteBatches.epoch(tunes, config.batch(), config.steps(), true, config.seed(), from.epoch());
        double total = from.costSum();
        long frames = from.frames();
        for (int i = from.index(); i < batches.size(); i++) {
            NoteBatches.Batch mb = batches.get(i);
            if (!mb.carry() && i > from.index() && stop.getAsBoolean()) {
                return new EpochResult(total / Math.max(frames, 1), new Position(from.epoch(), i, total, frames), false);
            }
            total += step(tunes, mb, from.epoch(), i) * mb.frames();
            frames += mb.frames();
            if (progress != null) progress.accept(mb.frames());
        }
        return EpochResult.completed(from.epoch(), batches.size(), total, frames);
    }

    /** One update on minibatch i of the epoch; returns its mean NLL per frame. */
    double step(List<int[][]> tunes, NoteBatches.Batch mb, int epoch, int i) {
        double loss = lossAndGradient(tunes, mb, config.dropout());
        double norm2 = be.sumOfSquares(model.grads);
        DivergedException.check("note-lstm", loss, norm2, "update " + i + " of epoch " + epoch, "try a smaller learning rate");
        double norm = Math.sqrt(norm2);
        if (config.clipNorm() > 0 && norm > config.clipNorm()) be.scale(model.grads, (float) (config.clipNorm() / norm));
        optimizer.begin();
        optimizer.apply(model.params, model.grads, 0, Math.toIntExact(model.params.size()), config.lr(epoch));
        return loss;
    }

    /** Forward and backward on one minibatch: model.grads = d loss / d params; returns the loss, the mean NLL per frame. */
    double lossAndGradient(List<int[][]> tunes, NoteBatches.Batch mb, float dropout) {
        int n = model.n;
        NoteLayout lay = NoteLayout.of(tunes, mb, n);
        double sum = pass.forward(lay, NoteLayout.inputs(tunes, mb, n), config.steps(), config.batch(), mb.carry(), mb.fresh(), dropout, rng, true);
        be.fill(model.grads, 0f);
        pass.backward(1f / mb.frames());
        return sum / mb.frames();
    }

    /** log P(v_t | v_&lt;t) of every frame t of every tune (exact; computed in float64 from float32 logits). */
    public double[][] logProbs(List<int[][]> tunes) {
        return logProbs(tunes, () -> false, null);
    }

    /** What an evaluation does with each minibatch after its forward pass: the layout and each frame's log-probability. */
    interface Visit {
        void accept(NoteBatches.Batch mb, NoteLayout lay, double[] logP);
    }

    /** As above, checking {@code stop} between minibatches (null when it asked to stop); {@code visit} sees each one. */
    double[][] logProbs(List<int[][]> tunes, BooleanSupplier stop, Visit visit) {
        double[][] out = new double[tunes.size()][];
        for (int s = 0; s < out.length; s++) out[s] = new double[tunes.get(s).length];
        int n = model.n;
        for (NoteBatches.Batch mb : NoteBatches.epoch(tunes, config.batch(), config.steps(), false, 0, 0)) {
            if (stop.getAsBoolean()) return null;
            NoteLayout lay = NoteLayout.of(tunes, mb, n);
            pass.forward(lay, NoteLayout.inputs(tunes, mb, n), config.steps(), config.batch(), mb.carry(), mb.fresh(), 0f, null, false);
            double[] lp = pass.frameLogProbs();
            for (int i = 0; i < lay.frames; i++) out[mb.tune()[lay.slot[i]]][mb.frame()[lay.slot[i]]] = lp[i];
            if (visit != null) visit.accept(mb, lay, lp);
        }
        return out;
    }

    /**
     * The exact NLL of every frame of the tunes, and, with {@code samples} > 0, the accuracy of that many frames drawn
     * per frame given its true past (the uniforms from Philox stream (seed, 4)); null if {@code stop} asked to stop.
     * {@code progress} gets the frames of each minibatch done.
     */
    public Evaluation evaluate(List<int[][]> tunes, int samples, long seed, BooleanSupplier stop, IntConsumer progress) {
        ExpectedAccuracy expected = new ExpectedAccuracy();
        FrameAccuracy pooled = new FrameAccuracy();
        Rng draws = new Rng(seed, 4);
        int n = model.n;
        double[][] lp = logProbs(tunes, stop, (mb, lay, logP) -> {
            if (samples > 0 && lay.frames > 0) {
                int[][] drawn = sampleLast(samples, draws);
                float[] truth = new float[n], sampled = new float[samples * n];
                for (int i = 0; i < lay.frames; i++) {
                    Arrays.fill(truth, 0f);
                    Arrays.fill(sampled, 0f);
                    for (int j : lay.notes[i]) truth[j] = 1f;
                    int[] on = new int[n];
                    for (int q = 0; q < samples; q++) {
                        for (int j : drawn[i * samples + q]) {
                            sampled[q * n + j] = 1f;
                            on[j]++;
                        }
                    }
                    expected.add(truth, 0, sampled, 0, samples, n);
                    for (int j = 0; j < n; j++) pooled.addExpected((double) on[j] / samples, truth[j]);
                }
            }
            if (progress != null) progress.accept(lay.frames);
        });
        if (lp == null) return null;
        long frames = 0;
        double sum = 0, sumSq = 0;
        for (double[] tune : lp) {
            for (double v : tune) {
                sum -= v;
                sumSq += v * v;
                frames++;
            }
        }
        if (frames == 0) throw new IllegalArgumentException("note-lstm: nothing to evaluate (no frames)");
        double mean = sum / frames, var = Math.max(sumSq / frames - mean * mean, 0);
        return new Evaluation(frames, mean, Math.sqrt(var / frames), samples > 0 ? expected.value() : Double.NaN,
                samples > 0 ? pooled.value() : Double.NaN);
    }

    /**
     * S frames drawn given the true past of every frame of one tune (uniforms from {@code draws}): (T S, n) of 0 and
     * 1, frame t's at rows t S .. t S + S - 1.
     */
    float[] draws(int[][] tune, int samples, Rng draws) {
        int n = model.n;
        float[] out = new float[tune.length * samples * n];
        logProbs(List.<int[][]>of(tune), () -> false, (mb, lay, unused) -> {
            if (lay.frames == 0) return;
            int[][] drawn = sampleLast(samples, draws);
            for (int i = 0; i < lay.frames; i++) {
                int row = mb.frame()[lay.slot[i]] * samples;
                for (int q = 0; q < samples; q++) {
                    for (int j : drawn[i * samples + q]) out[(row + q) * n + j] = 1f;
                }
            }
        });
        return out;
    }

    /** {@code samples} frames drawn given the true past of each frame of the last forward, in its layout's order. */
    int[][] sampleLast(int samples, Rng draws) {
        if (sampler == null) sampler = new NoteSampler(model);
        Tensor[] context = pass.frameInputs();
        return sampler.sample(context[0], context[1], samples, draws);
    }

    /** The primer's frames (perhaps none) and {@code steps} frames drawn after them with Philox stream (seed, 2). */
    public int[][] generate(int[][] primer, int steps, long seed) {
        if (sampler == null) sampler = new NoteSampler(model);
        return sampler.generate(primer, steps, seed);
    }

    // ---------------------------------------------------------------- checkpoints

    /** Writes parameters, Adam's state, the dropout Rng's position and the configuration atomically. */
    public void save(Path file, Position at, Map<String, String> about) throws IOException {
        Map<String, String> meta = Checkpoints.header(about, NoteKind.NOTES.name(), NoteConfig.SETTINGS, config, at);
        meta.put("notes", Integer.toString(model.n));
        meta.put("rng_block", Long.toString(rng.position()));
        Checkpoints.write(file, be, meta, model.paramNames(), model::param, optimizer);
    }

    public static NoteTrainer load(Backend backend, SafeTensors.Contents c) {
        return load(backend, c, NoteConfig.SETTINGS.decode(c.metadata()));
    }

    /** As above, with the checkpoint's configuration {@code config}. */
    public static NoteTrainer load(Backend backend, SafeTensors.Contents c, NoteConfig config) {
        String kind = c.metadata().get("kind");
        if (!NoteKind.NOTES.name().equals(kind)) throw new IllegalArgumentException("not a note-lstm checkpoint (kind " + kind + ")");
        NoteTrainer t = new NoteTrainer(backend, config, Checkpoints.integer(c, "notes"));
        Checkpoints.restore(backend, c, t.model.paramNames(), t.model::param, t.optimizer);
        t.rng.seek(Checkpoints.longInt(c, "rng_block"));
        return t;
    }
}
