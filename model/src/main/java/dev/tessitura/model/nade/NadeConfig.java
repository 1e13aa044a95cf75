package dev.tessitura.model.nade;

import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Settings;

/**
 * The frame-level NADE's hyper-parameters (the paper's "NADE" row: every frame modelled alone): 150 hidden units,
 * minibatches of 100 shuffled frames, SGD at 0.01.
 *
 * @param batch   frames per update
 * @param augment the training split and its copies transposed by -6..+5 semitones (validation, test untouched)
 */
public record NadeConfig(int nh, int batch, Optimizer.Kind optimizer, float lr, float momentum, float clipNorm, float lrDecay,
                         boolean augment, long seed) {
    public static NadeConfig defaults() {
        return new NadeConfig(150, 100, Optimizer.Kind.SGD, 0.01f, 0.9f, 0f, 1f, false, 1);
    }

    public NadeConfig {
        if (nh < 1 || batch < 1) throw new IllegalArgumentException("nade: --hidden and --batch must be >= 1");
    }

    public NadeConfig withNh(int v) { return new NadeConfig(v, batch, optimizer, lr, momentum, clipNorm, lrDecay, augment, seed); }
    public NadeConfig withBatch(int v) { return new NadeConfig(nh, v, optimizer, lr, momentum, clipNorm, lrDecay, augment, seed); }
    public NadeConfig withOptimizer(Optimizer.Kind v) { return new NadeConfig(nh, batch, v, lr, momentum, clipNorm, lrDecay, augment, seed); }
    public NadeConfig withLr(float v) { return new NadeConfig(nh, batch, optimizer, v, momentum, clipNorm, lrDecay, augment, seed); }
    public NadeConfig withMomentum(float v) { return new NadeConfig(nh, batch, optimizer, lr, v, clipNorm, lrDecay, augment, seed); }
    public NadeConfig withClipNorm(float v) { return new NadeConfig(nh, batch, optimizer, lr, momentum, v, lrDecay, augment, seed); }
    public NadeConfig withLrDecay(float v) { return new NadeConfig(nh, batch, optimizer, lr, momentum, clipNorm, v, augment, seed); }
    public NadeConfig withAugment(boolean v) { return new NadeConfig(nh, batch, optimizer, lr, momentum, clipNorm, lrDecay, v, seed); }
    public NadeConfig withSeed(long v) { return new NadeConfig(nh, batch, optimizer, lr, momentum, clipNorm, lrDecay, augment, v); }

    static final Settings<NadeConfig> SETTINGS = Settings.of(defaults())
            .integer("nh", "--hidden", "N", "hidden units", NadeConfig::nh, NadeConfig::withNh)
            .integer("batch", "--batch", "B", "frames per update (drawn from all the training frames, shuffled each epoch)", NadeConfig::batch, NadeConfig::withBatch)
            .word("optimizer", "--optimizer", "NAME", "the update rule", Optimizer.Kind.class, NadeConfig::optimizer, NadeConfig::withOptimizer)
            .floating("lr", "--lr", "R", "the learning rate", NadeConfig::lr, NadeConfig::withLr)
            .floating("momentum", "--momentum", "MU", "momentum of --optimizer momentum and nesterov", NadeConfig::momentum, NadeConfig::withMomentum)
            .floating("clip_norm", "--clip-norm", "C", "clip the gradient to this L2 norm (0: off)", NadeConfig::clipNorm, NadeConfig::withClipNorm)
            .floating("lr_decay", "--lr-decay", "D", "the learning rate's factor per epoch", NadeConfig::lrDecay, NadeConfig::withLrDecay)
            .flag("augment", "--augment", "train on the training split transposed by -6..+5 semitones too (validation and test untouched)",
                    NadeConfig::augment, NadeConfig::withAugment)
            .longInt("seed", "--seed", "S", "initial weights, shuffling and sampling", NadeConfig::seed, NadeConfig::withSeed)
            .build();
}
