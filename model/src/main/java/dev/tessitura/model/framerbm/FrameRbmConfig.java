package dev.tessitura.model.framerbm;

import dev.tessitura.model.Settings;

/**
 * The frame RBM's hyper-parameters: an RBM of nh hidden units over single frames, trained by CD-k with SGD on
 * minibatches of shuffled training frames; W ~ N(0, 0.01^2), biases 0.
 */
public record FrameRbmConfig(int nh, int k, float lr, int batch, long seed) {
    public FrameRbmConfig {
        if (nh < 1 || k < 1 || batch < 1) throw new IllegalArgumentException("rbm: --hidden, --k and --batch must be >= 1");
        if (!(lr > 0)) throw new IllegalArgumentException("rbm: --lr must be > 0, got " + lr);
    }

    FrameRbmConfig withNh(int v) { return new FrameRbmConfig(v, k, lr, batch, seed); }
    FrameRbmConfig withK(int v) { return new FrameRbmConfig(nh, v, lr, batch, seed); }
    FrameRbmConfig withLr(float v) { return new FrameRbmConfig(nh, k, v, batch, seed); }
    FrameRbmConfig withBatch(int v) { return new FrameRbmConfig(nh, k, lr, v, seed); }
    FrameRbmConfig withSeed(long v) { return new FrameRbmConfig(nh, k, lr, batch, v); }

    static final Settings<FrameRbmConfig> SETTINGS = Settings.of(new FrameRbmConfig(150, 1, 0.05f, 100, 1))
            .integer("nh", "--hidden", "N", "hidden units", FrameRbmConfig::nh, FrameRbmConfig::withNh)
            .integer("k", "--k", "N", "Gibbs steps of the CD-k negative phase", FrameRbmConfig::k, FrameRbmConfig::withK)
            .floating("lr", "--lr", "R", "SGD learning rate", FrameRbmConfig::lr, FrameRbmConfig::withLr)
            .integer("batch", "--batch", "B", "frames per update", FrameRbmConfig::batch, FrameRbmConfig::withBatch)
            .longInt("seed", "--seed", "S", "initial weights, shuffling and sampling", FrameRbmConfig::seed, FrameRbmConfig::withSeed)
            .build();
}
