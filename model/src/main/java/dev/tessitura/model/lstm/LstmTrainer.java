package dev.tessitura.model.lstm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.IndependentNotes;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.PendingCosts;
import dev.tessitura.model.Position;
import dev.tessitura.model.StackedFrames;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Trains, evaluates and samples the polyphonic LSTM ({@link Lstm}) on piano rolls: minibatches of B sequences x L
 * steps ({@link Minibatches}), cross-entropy against the next frame, element-wise gradient clipping, and one of the
 * {@link Optimizer}s with a learning rate per layer.
 */
public final class LstmTrainer {
    private final Backend be;
    private final LstmConfig config;
    public final Lstm model;
    public final Optimizer optimizer;
    private final int nNotes;

    public LstmTrainer(Backend backend, LstmConfig config, int nNotes) {
        this.be = backend;
        this.config = config;
        this.nNotes = nNotes;
        this.model = new Lstm(backend, nNotes, config.hidden(), nNotes, config.skip());
        model.initNormal(config.initStd(), config.seed(), config.forgetBias());
        this.optimizer = new Optimizer(backend, config.optimizer(), model.params, config.momentum());
    }

    public LstmConfig config() { return config; }

    /** One whole epoch; returns the mean cross-entropy per frame (see the other form). */
    public double trainEpoch(List<PianoRoll> rolls, int epoch, IntConsumer progress) {
        return trainEpoch(rolls, Position.start(epoch), () -> false, progress).meanCost();
    }

    /**
     * Trains from {@code from} to the end of its epoch over {@code rolls}, or until {@code stop} says so; it stops
     * only before a minibatch that starts new sequences (no LSTM state is carried into it), so that a checkpoint of
     * the returned position resumes exactly. {@code progress} receives the frames of each minibatch done. Stops with
     * {@link DivergedException} if the cost or a gradient is not finite: before that update on a CPU backend; on an
     * asynchronous one (a GPU), where the costs and gradient norms wait on the device and are read every
     * {@link PendingCosts#CHECK_EVERY} updates and when the epoch stops, up to that many updates after it. The rolls'
     * frames are on the backend once and each minibatch is gathered from them ({@link Backend#gatherRows}, the epoch's
     * row table copied in once), so that no update waits for the host.
     */
    public EpochResult trainEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress) {
        List<Minibatches.Batch> batches = Minibatches.epoch(rolls, config.mode(), config.batch(), config.steps(), true,
                config.seed(), from.epoch());
        Tensor frames = stacked(rolls);
        tableOf(batches, frames.rows() - 1);
        if (scalars == null) scalars = PendingCosts.scalars(be);
        PendingCosts pending = new PendingCosts(be, scalars, "lstm", "try a smaller learning rate", from);
        for (int i = from.index(); i < batches.size(); i++) {
            Minibatches.Batch mb = batches.get(i);
            if (!mb.carry() && i > from.index() && stop.getAsBoolean()) {
                pending.check();
                return new EpochResult(pending.meanCost(), new Position(from.epoch(), i, pending.costSum(), pending.frames()), false);
            }
            update(mb, i, frames, pending.add(i, mb.frames()));
            if (progress != null) progress.accept(mb.frames());
        }
        pending.check();
        return EpochResult.completed(from.epoch(), batches.size(), pending.costSum(), pending.frames());
    }

    /** Frames one epoch trains on (for progress bars). */
    public long framesPerEpoch(List<PianoRoll> rolls) {
        long n = 0;
        for (PianoRoll r : rolls) {
            if (r.frames() < 2) continue;
            n += config.mode() == Minibatches.Mode.TILE ? config.steps() : r.frames() - 1;
        }
        return n;
    }

    // ---------------------------------------------------------------- checkpoints

    /**
     * Writes a checkpoint atomically: every parameter by name (Wx0, Wh0, b0, ..., Wy, by), the optimizer's state
     * (opt.0, opt.1) and, in the header, the kind, the configuration, the position and {@code about} (data, backend).
     */
    public void save(Path file, Position at, Map<String, String> about) throws IOException {
        Map<String, String> meta = Checkpoints.header(about, LstmKind.LSTM.name(), LstmConfig.SETTINGS, config, at);
        meta.put("notes", Integer.toString(nNotes));
        Checkpoints.write(file, be, meta, model.paramNames(), model::param, optimizer);
    }

    /** A trainer with the configuration, parameters and optimizer state of a checkpoint written by {@link #save}. */
    public static LstmTrainer load(Backend backend, SafeTensors.Contents c) {
        return load(backend, c, LstmConfig.SETTINGS.decode(c.metadata()));
    }

    /** As above, with the checkpoint's configuration {@code config}. */
    public static LstmTrainer load(Backend backend, SafeTensors.Contents c, LstmConfig config) {
        String kind = c.metadata().get("kind");
        if (!LstmKind.LSTM.name().equals(kind)) throw new IllegalArgumentException("not an LSTM checkpoint (kind " + kind + ")");
        LstmTrainer t = new LstmTrainer(backend, config, Checkpoints.integer(c, "notes"));
        Checkpoints.restore(backend, c, t.model.paramNames(), t.model::param, t.optimizer);
        return t;
    }

    /** The position a checkpoint was written at. */
    public static Position position(SafeTensors.Contents c) {
        return Position.fromMetadata(c.metadata());
    }

    // ---------------------------------------------------------------- an epoch's data on the backend

    private StackedFrames stacked;     // every roll's frames in the order given, then a zero row: a masked row's x and y
    private Tensor maskRows;           // (2, n): a masked row (zeros) and a counted one (ones)
    private Tensor table;              // per epoch: each minibatch's rows to gather for x, then y, then mask
    private Tensor x, y, mask;         // the minibatch (L B, n), gathered
    private Tensor scalars;            // the pending updates' costs and squared gradient norms

    /** The rolls' frames on the backend, then one zero row; kept while the same list (of as many frames) comes back. */
    private Tensor stacked(List<PianoRoll> rolls) {
        if (stacked == null) {
            stacked = new StackedFrames(be, nNotes, 1);
            maskRows = be.zeros(2, nNotes);
            be.fill(maskRows.at(1), 1f);
        }
        Tensor frames = stacked.of(rolls).frames();
        if (frames.rows() > 1 << 24) throw new IllegalArgumentException("lstm: more than 2^24 frames in one training set");
        return frames;
    }

    /** The epoch's gather table: minibatch i's L B rows of x, of y (each the next frame) and of mask from 3 L B i on. */
    private void tableOf(List<Minibatches.Batch> batches, int zeroRow) {
        int rows = config.steps() * config.batch();
        float[] t = new float[Math.multiplyExact(3 * rows, batches.size())];
        for (int i = 0; i < batches.size(); i++) {
            int[] from = batches.get(i).rows();
            for (int r = 0; r < rows; r++) {
                boolean counted = from[r] >= 0;
                t[3 * rows * i + r] = counted ? from[r] : zeroRow;
                t[3 * rows * i + rows + r] = counted ? from[r] + 1 : zeroRow;
                t[3 * rows * i + 2 * rows + r] = counted ? 1 : 0;
            }
        }
        if (table == null || table.size() < t.length) table = be.zeros(Math.max(t.length, 1));   // kept across epochs
        if (t.length > 0) be.copyFromHost(table.view(0, t.length), t, 0);
        if (x == null) {
            x = be.zeros(rows, nNotes);
            y = be.zeros(rows, nNotes);
            mask = be.zeros(rows, nNotes);
        }
    }

    /**
     * One update on minibatch i of the epoch (its rows gathered from {@code frames}, the table's); its cost and
     * squared gradient norm go to {@code slot} (2). On a CPU they are read and checked before the optimizer step; on
     * an asynchronous backend they stay on the device for {@link PendingCosts#check}.
     */
    private void update(Minibatches.Batch mb, int i, Tensor frames, Tensor slot) {
        int rows = config.steps() * config.batch();
        long at = 3L * rows * i;
        be.gatherRows(x, frames, table.view(at, rows));
        be.gatherRows(y, frames, table.view(at + rows, rows));
        if (mb.mask() != null) be.gatherRows(mask, maskRows, table.view(at + 2 * rows, rows));
        Tensor m = mb.mask() == null ? null : mask;
        model.forward(x, config.steps(), config.batch(), mb.carry(), mb.fresh());
        model.loss(y, m, mb.frames(), slot.view(0, 1));
        model.zeroGrads();
        model.backward(y, m, mb.frames());
        be.sumOfSquares(model.grads, slot.view(1, 1));
        if (!be.asynchronous()) {
            float[] c = be.toArray(slot);
            DivergedException.check("lstm", c[0], c[1], "update " + i, "try a smaller learning rate");
        }
        be.clip(model.grads, model.grads, -config.clip(), config.clip());
        optimizer.begin();
        for (int l = 0; l <= model.layers(); l++) {
            long[] blk = model.block(l);
            optimizer.apply(model.params, model.grads, blk[0], (int) blk[1], config.lr(l));
        }
    }

    /**
     * The paper's measures ({@link IndependentNotes}) of predicting every frame t >= 1 of every roll from the true
     * frames before it: the exact log-likelihood (sum_j y_j z_j - softplus(z_j) per frame) and the exact expected
     * accuracy; no sampled check.
     */
    public IndependentNotes.Result evaluate(List<PianoRoll> rolls) {
        return evaluate(rolls, 0, 0, () -> false);
    }

    /**
     * As above, also estimating the expected accuracy from {@code samples} frames drawn per step from the sigmoid
     * outputs (Philox stream (seed, 9)), and checking {@code stop} between minibatches: null when it asked to stop.
     */
    public IndependentNotes.Result evaluate(List<PianoRoll> rolls, int samples, long seed, BooleanSupplier stop) {
        IndependentNotes scores = new IndependentNotes(nNotes, samples, seed, 9);
        int rows = config.steps() * config.batch();
        float[] logits = new float[rows * nNotes];
        for (Minibatches.Batch mb : Minibatches.epoch(rolls, Minibatches.Mode.CHUNKS, config.batch(), config.steps(), false, 0, 0)) {
            if (stop.getAsBoolean()) return null;
            Tensor out = model.forward(be.of(mb.x(), rows, nNotes), config.steps(), config.batch(), mb.carry());
            be.copyToHost(logits, 0, out);
            for (int r = 0; r < rows; r++) {
                if (mb.mask()[r * nNotes] != 0f) scores.addLogits(logits, r * nNotes, mb.y(), r * nNotes);
            }
        }
        return scores.result();
    }

    /**
     * Generates {@code steps} frames after priming with {@code primer} (at least one frame): each step's output
     * probabilities below {@code threshold} are set to zero (RNN4Music: 0.1), then notes are drawn from Philox stream
     * (seed, 2) and fed back as the next input. Returns the primer followed by the generated frames.
     */
    public PianoRoll generate(PianoRoll primer, int steps, float threshold, long seed) {
        return generate(primer, steps, threshold, seed, null);
    }

    /** As above, telling {@code progress} of every generated frame. */
    public PianoRoll generate(PianoRoll primer, int steps, float threshold, long seed, IntConsumer progress) {
        if (primer.frames() < 1) throw new IllegalArgumentException("lstm: the primer needs at least one frame");
        float[] roll = primer.toFloats();
        int total = primer.frames() + steps;
        float[] out = java.util.Arrays.copyOf(roll, total * nNotes);
        model.resetState();
        float[] logits = new float[nNotes], u = new float[nNotes];
        Tensor x = be.zeros(1, nNotes);
        for (int t = 0; t < total - 1; t++) {
            be.copyFromHost(x, out, t * nNotes);
            be.copyToHost(logits, 0, model.forward(x, 1, 1, true));
            if (t + 1 < primer.frames()) continue;                         // still reading the primer
            Philox.uniforms(seed, 2, (long) t * ((nNotes + 3) / 4), u, 0, nNotes);
            for (int j = 0; j < nNotes; j++) {
                float p = (float) (1 / (1 + Math.exp(-logits[j])));
                if (p < threshold) p = 0f;
                out[(t + 1) * nNotes + j] = u[j] < p ? 1f : 0f;
            }
            if (progress != null) progress.accept(1);
        }
        return PianoRoll.fromFloats(out, total, primer.lowestNote(), nNotes);
    }
}
