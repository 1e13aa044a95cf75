package dev.tessitura.model.nade;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Init;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.Sizes;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The frame-level NADE (the {@code nade} model): one {@link Nade} in its own parameter tensor, trained on shuffled
 * frames by {@link NadeFrames} (order from Philox stream (seed, 1)); initial W, V ~ N(0, 0.01^2) from stream (seed, 0),
 * biases zero. Training draws nothing else, so a checkpoint's position is all a resume needs.
 */
public final class NadeTrainer {
    private final Backend be;
    private final NadeConfig config;
    public final Tensor params, grads;
    public final Nade nade;
    public final Optimizer optimizer;
    private final NadeFrames frames;

    public NadeTrainer(Backend backend, NadeConfig config, int nv) {
        this.be = backend;
        this.config = config;
        int size = Sizes.parameters(be, "nade", Nade.size(nv, config.nh()));
        params = be.zeros(size);
        grads = be.zeros(size);
        nade = new Nade(be, nv, config.nh(), params, grads);
        Init.normal(be, params, 1.0, config.seed());
        be.scale(nade.W, 0.01f);
        be.scale(nade.V, 0.01f);
        be.fill(nade.bv, 0f);
        be.fill(nade.bh, 0f);
        optimizer = new Optimizer(be, config.optimizer(), params, config.momentum());
        frames = new NadeFrames(be, "nade", nade, params, grads, new long[] {0, size}, config.batch(), config.seed(), 1, config.clipNorm());
    }

    public NadeConfig config() { return config; }

    /** Trains from {@code from} to the end of its epoch or until {@code stop}; see {@link NadeFrames#trainEpoch}. */
    public EpochResult trainEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress) {
        return frames.trainEpoch(rolls, from, stop, progress, optimizer, config.lr() * (float) Math.pow(config.lrDecay(), from.epoch()));
    }

    /** The exact mean negative log-likelihood per frame of the rolls' frames. */
    public double nll(List<PianoRoll> rolls) {
        return frames.nll(rolls);
    }

    public void save(Path file, Position at, Map<String, String> about) throws IOException {
        Map<String, String> meta = Checkpoints.header(about, "nade", NadeConfig.SETTINGS, config, at);
        meta.put("nv", Integer.toString(nade.nv));
        Checkpoints.write(file, be, meta, Nade.NAMES, nade::param, optimizer);
    }

    /** The trainer a checkpoint holds, with its configuration {@code config} (its run settings perhaps changed). */
    public static NadeTrainer load(Backend backend, SafeTensors.Contents c, NadeConfig config) {
        NadeTrainer t = new NadeTrainer(backend, config, Checkpoints.integer(c, "nv"));
        Checkpoints.restore(backend, c, Nade.NAMES, t.nade::param, t.optimizer);
        return t;
    }
}
