package dev.tessitura.model.lstm;

import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Settings;

/**
 * The polyphonic LSTM's hyper-parameters; the defaults follow Ip's RNN4Music (3 x 120 units, SGD 0.1, element-wise
 * clipping at 30, weights N(0, 0.1^2), every bias 0), changed by name: {@code LstmConfig.defaults().withSkip(true)}.
 *
 * @param lr one learning rate for every layer, or one per layer plus one for the read-out (layers + 1 values)
 */
public record LstmConfig(int[] hidden, Minibatches.Mode mode, int batch, int steps, Optimizer.Kind optimizer,
                         float[] lr, float momentum, float clip, double initStd, float forgetBias, boolean skip, long seed) {
    public static LstmConfig defaults() {
        return new LstmConfig(new int[] {120, 120, 120}, Minibatches.Mode.CHUNKS, 32, 100, Optimizer.Kind.SGD,
                new float[] {0.1f}, 0.9f, 30f, 0.1, 0f, false, 1);
    }

    public LstmConfig {
        hidden = hidden.clone();
        lr = lr.clone();
        if (hidden.length == 0) throw new IllegalArgumentException("lstm: at least one layer");
        for (int h : hidden) if (h < 1) throw new IllegalArgumentException("lstm: layer sizes must be >= 1, got " + h);
        if (lr.length != 1 && lr.length != hidden.length + 1) {
            throw new IllegalArgumentException("lstm: give one learning rate or " + (hidden.length + 1)
                    + " (one per layer and one for the read-out), not " + lr.length);
        }
        if (batch < 1 || steps < 1) throw new IllegalArgumentException("lstm: batch and steps must be >= 1");
    }

    @Override public int[] hidden() { return hidden.clone(); }

    @Override public float[] lr() { return lr.clone(); }

    /** The learning rate of block {@code block}: a layer, or the read-out (the last). */
    float lr(int block) {
        return lr.length == 1 ? lr[0] : lr[block];
    }

    public LstmConfig withHidden(int[] v) { return new LstmConfig(v, mode, batch, steps, optimizer, lr, momentum, clip, initStd, forgetBias, skip, seed); }
    public LstmConfig withMode(Minibatches.Mode v) { return new LstmConfig(hidden, v, batch, steps, optimizer, lr, momentum, clip, initStd, forgetBias, skip, seed); }
    public LstmConfig withBatch(int v) { return new LstmConfig(hidden, mode, v, steps, optimizer, lr, momentum, clip, initStd, forgetBias, skip, seed); }
    public LstmConfig withSteps(int v) { return new LstmConfig(hidden, mode, batch, v, optimizer, lr, momentum, clip, initStd, forgetBias, skip, seed); }
    public LstmConfig withOptimizer(Optimizer.Kind v) { return new LstmConfig(hidden, mode, batch, steps, v, lr, momentum, clip, initStd, forgetBias, skip, seed); }
    public LstmConfig withLr(float[] v) { return new LstmConfig(hidden, mode, batch, steps, optimizer, v, momentum, clip, initStd, forgetBias, skip, seed); }
    public LstmConfig withLr(float v) { return withLr(new float[] {v}); }
    public LstmConfig withMomentum(float v) { return new LstmConfig(hidden, mode, batch, steps, optimizer, lr, v, clip, initStd, forgetBias, skip, seed); }
    public LstmConfig withClip(float v) { return new LstmConfig(hidden, mode, batch, steps, optimizer, lr, momentum, v, initStd, forgetBias, skip, seed); }
    public LstmConfig withInitStd(double v) { return new LstmConfig(hidden, mode, batch, steps, optimizer, lr, momentum, clip, v, forgetBias, skip, seed); }
    public LstmConfig withForgetBias(float v) { return new LstmConfig(hidden, mode, batch, steps, optimizer, lr, momentum, clip, initStd, v, skip, seed); }
    public LstmConfig withSkip(boolean v) { return new LstmConfig(hidden, mode, batch, steps, optimizer, lr, momentum, clip, initStd, forgetBias, v, seed); }
    public LstmConfig withSeed(long v) { return new LstmConfig(hidden, mode, batch, steps, optimizer, lr, momentum, clip, initStd, forgetBias, skip, v); }

    /** Command-line options and checkpoint keys. */
    static final Settings<LstmConfig> SETTINGS = Settings.of(defaults())
            .integers("hidden", "--layers", "H,H,...", "units per layer", LstmConfig::hidden, LstmConfig::withHidden)
            .word("mode", "--batching", "MODE", "chunks: consecutive chunks of each tune, masked, the state carried; packed: the "
                    + "same with several tunes one after another in each row (less padding); tile: one window per tune, short "
                    + "tunes repeated, long ones truncated", Minibatches.Mode.class, LstmConfig::mode, LstmConfig::withMode)
            .integer("batch", "--batch", "B", "chunks per update (rows of the minibatch)", LstmConfig::batch, LstmConfig::withBatch)
            .integer("steps", "--steps", "T", "frames per chunk (time steps of truncated back-propagation)", LstmConfig::steps, LstmConfig::withSteps)
            .word("optimizer", "--optimizer", "NAME", "the update rule", Optimizer.Kind.class, LstmConfig::optimizer, LstmConfig::withOptimizer)
            .floats("lr", "--lr", "R[,R...]", "the learning rate, or one per layer and one for the read-out (0.1,0.1,0.1,0.05)",
                    LstmConfig::lr, LstmConfig::withLr)
            .floating("momentum", "--momentum", "MU", "momentum of --optimizer momentum and nesterov", LstmConfig::momentum, LstmConfig::withMomentum)
            .floating("clip", "--clip", "C", "element-wise gradient clipping to [-C, C]", LstmConfig::clip, LstmConfig::withClip)
            .real("init_std", "--init-std", "S", "initial weights ~ N(0, S^2)", LstmConfig::initStd, LstmConfig::withInitStd)
            .floating("forget_bias", "--forget-bias", "B", "initial bias of the forget gates (Gers et al. 2000 suggest 1)",
                    LstmConfig::forgetBias, LstmConfig::withForgetBias).optional()
            .flag("skip", "--skip", "the input fed to every layer and every layer to the read-out (Graves 2013): a deep stack "
                    + "learns at once instead of sitting on the notes' marginals", LstmConfig::skip, LstmConfig::withSkip).optional()
            .longInt("seed", "--seed", "S", "initial weights and shuffling", LstmConfig::seed, LstmConfig::withSeed)
            .build();
}
