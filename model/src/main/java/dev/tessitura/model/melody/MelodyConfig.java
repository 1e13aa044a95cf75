package dev.tessitura.model.melody;

import dev.tessitura.model.Settings;

/**
 * The melody LSTM's hyper-parameters, Magenta's basic_rnn by default, changed by name:
 * {@code MelodyConfig.defaults().withBatch(16)}.
 *
 * @param hidden   LSTM layer sizes (Magenta basic_rnn: 128, 128)
 * @param batch    melodies per minibatch (Magenta: 128; less padding on small data with 64)
 * @param steps    steps per chunk of truncated back-propagation (Magenta back-propagates whole melodies of up to
 *                 512 steps; 128 keeps memory bounded and carries the state over)
 * @param lr       Adam learning rate
 * @param clipNorm the largest global L2 norm of the gradient, 0 = no clipping
 */
public record MelodyConfig(int[] hidden, int batch, int steps, float lr, float clipNorm, double initStd, long seed) {
    public static MelodyConfig defaults() {
        return new MelodyConfig(new int[] {128, 128}, 64, 128, 0.001f, 5f, 0.1, 1);
    }

    public MelodyConfig {
        hidden = hidden.clone();
        if (hidden.length == 0) throw new IllegalArgumentException("melody model: at least one LSTM layer");
        for (int h : hidden) if (h < 1) throw new IllegalArgumentException("melody model: layer size " + h + " must be >= 1");
        if (batch < 1 || steps < 1) throw new IllegalArgumentException("melody model: batch and steps must be >= 1, got " + batch + ", " + steps);
        if (!(lr > 0) || !(clipNorm >= 0) || !(initStd >= 0)) {
            throw new IllegalArgumentException("melody model: need lr > 0, clipNorm >= 0, initStd >= 0; got " + lr + ", " + clipNorm + ", " + initStd);
        }
    }

    @Override public int[] hidden() { return hidden.clone(); }

    public MelodyConfig withHidden(int[] v) { return new MelodyConfig(v, batch, steps, lr, clipNorm, initStd, seed); }
    public MelodyConfig withBatch(int v) { return new MelodyConfig(hidden, v, steps, lr, clipNorm, initStd, seed); }
    public MelodyConfig withSteps(int v) { return new MelodyConfig(hidden, batch, v, lr, clipNorm, initStd, seed); }
    public MelodyConfig withLr(float v) { return new MelodyConfig(hidden, batch, steps, v, clipNorm, initStd, seed); }
    public MelodyConfig withClipNorm(float v) { return new MelodyConfig(hidden, batch, steps, lr, v, initStd, seed); }
    public MelodyConfig withInitStd(double v) { return new MelodyConfig(hidden, batch, steps, lr, clipNorm, v, seed); }
    public MelodyConfig withSeed(long v) { return new MelodyConfig(hidden, batch, steps, lr, clipNorm, initStd, v); }

    /** Command-line options and checkpoint keys. */
    static final Settings<MelodyConfig> SETTINGS = Settings.of(defaults())
            .integers("hidden", "--layers", "H,H,...", "LSTM units per layer", MelodyConfig::hidden, MelodyConfig::withHidden)
            .integer("batch", "--batch", "B", "chunks per update (melodies in a minibatch)", MelodyConfig::batch, MelodyConfig::withBatch)
            .integer("steps", "--steps", "T", "events per chunk (time steps of truncated back-propagation)", MelodyConfig::steps, MelodyConfig::withSteps)
            .floating("lr", "--lr", "R", "Adam's learning rate", MelodyConfig::lr, MelodyConfig::withLr)
            .floating("clip_norm", "--clip-norm", "C", "clip the gradient to this L2 norm (0: off)", MelodyConfig::clipNorm, MelodyConfig::withClipNorm)
            .real("init_std", "--init-std", "S", "initial weights ~ N(0, S^2)", MelodyConfig::initStd, MelodyConfig::withInitStd)
            .longInt("seed", "--seed", "S", "initial weights and shuffling", MelodyConfig::seed, MelodyConfig::withSeed)
            .build();
}
