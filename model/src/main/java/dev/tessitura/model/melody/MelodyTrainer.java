package dev.tessitura.model.melody;

import dev.tessitura.engine.Backend;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Trains a {@link MelodyModel}: minibatches of {@link MelodyBatches} with the state carried between the chunks of a
 * melody (truncated BPTT), the gradient clipped to a global L2 norm of at most {@link MelodyConfig#clipNorm}
 * (Magenta: 5), one Adam step (Magenta: lr 0.001) per minibatch.
 */
public final class MelodyTrainer {
    private final Backend be;
    private final MelodyConfig config;
    public final MelodyModel model;
    public final Optimizer optimizer;

    public MelodyTrainer(Backend backend, MelodyConfig config) {
        this.be = backend;
        this.config = config;
        this.model = new MelodyModel(backend, config);
        this.optimizer = new Optimizer(backend, Optimizer.Kind.ADAM, model.lstm.params, 0f);
    }

    public MelodyConfig config() { return config; }

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
        return EpochResult.completed(from.epoch(), batches.size(), total, events);
    }

    /** Events one epoch predicts (for progress bars): all but the first of every melody. */
    public static long eventsPerEpoch(List<int[]> melodies) {
        long n = 0;
        for (int[] m : melodies) n += Math.max(m.length - 1, 0);
        return n;
    }

    /** One Adam update on one minibatch (of this config's batch and steps); returns its mean NLL per event. */
    public double step(MelodyBatches.Batch mb) {
        double loss = model.lossAndGradient(mb);
        double norm2 = be.sumOfSquares(model.lstm.grads);
        DivergedException.check("melody model", loss, norm2, null, "try a smaller learning rate");
        double norm = Math.sqrt(norm2);
        if (config.clipNorm() > 0 && norm > config.clipNorm()) be.scale(model.lstm.grads, (float) (config.clipNorm() / norm));
        optimizer.begin();
        optimizer.apply(model.lstm.params, model.lstm.grads, 0, Math.toIntExact(model.lstm.params.size()), config.lr());
        return loss;
    }

    // ---------------------------------------------------------------- checkpoints

    /** Writes parameters, Adam's state and the configuration atomically. */
    public void save(Path file, Position at, Map<String, String> about) throws IOException {
        Map<String, String> meta = Checkpoints.header(about, MelodyKind.MELODY.name(), MelodyConfig.SETTINGS, config, at);
        Checkpoints.write(file, be, meta, model.lstm.paramNames(), model.lstm::param, optimizer);
    }

    public static MelodyTrainer load(Backend backend, SafeTensors.Contents c) {
        return load(backend, c, MelodyConfig.SETTINGS.decode(c.metadata()));
    }

    /** As above, with the checkpoint's configuration {@code config}. */
    public static MelodyTrainer load(Backend backend, SafeTensors.Contents c, MelodyConfig config) {
        String kind = c.metadata().get("kind");
        if (!MelodyKind.MELODY.name().equals(kind)) throw new IllegalArgumentException("not a melody checkpoint (kind " + kind + ")");
        MelodyTrainer t = new MelodyTrainer(backend, config);
        Checkpoints.restore(backend, c, t.model.lstm.paramNames(), t.model.lstm::param, t.optimizer);
        return t;
    }
}
