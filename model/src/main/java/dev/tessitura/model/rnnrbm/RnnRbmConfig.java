package dev.tessitura.model.rnnrbm;

import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Settings;

/**
 * The RNN-RBM's hyper-parameters (and the LSTM-RBM's, whose u(t) is the top layer of an LSTM stack): the tutorial's
 * defaults (150 hidden, 100 recurrent, CD-15, lr 0.001, chunks of 100 frames, one per update), changed by name:
 * {@code RnnRbmConfig.defaults().withNh(100).withK(5)}.
 *
 * @param chunk      frames per chunk: every sequence is cut into chunks, each an update's T steps
 * @param batch      B chunks of the same length per update (one Gibbs chain over all their frames, the mean gradient)
 * @param lstmLayers empty: the paper's tanh recurrence of nu units; else the LSTM-RBM's layer sizes (nu = the last)
 * @param monitorLl  the validation monitor: 0 the expected ACC; N > 0 a rough AIS log-likelihood on every N-th
 *                   validation sequence (a setting of the run, not of the model: not in checkpoints)
 */
public record RnnRbmConfig(int nh, int nu, int k, int chunk, Optimizer.Kind optimizer, float lrRbm, float lrRnn,
                           float momentum, float clipNorm, float lrDecay, boolean learnU0, int pretrainEpochs, long seed,
                           int[] lstmLayers, int pretrainRnnEpochs, float pretrainRnnLr, int batch, int monitorLl, boolean rtrbm) {
    public static RnnRbmConfig defaults() {
        return new RnnRbmConfig(150, 100, 15, 100, Optimizer.Kind.SGD, 0.001f, 0.001f, 0.9f, 0f, 1f, false, 0, 1,
                new int[0], 0, 0.001f, 1, 0, false);
    }

    /** The RTRBM's defaults: the tutorial's RBM part (150 hidden units, also the state's size). */
    public static RnnRbmConfig rtrbmDefaults() {
        return defaults().withRtrbm(true);
    }

    /** The LSTM-RBM's defaults: one LSTM layer of 100 units. */
    public static RnnRbmConfig lstmDefaults() {
        return defaults().withLstmLayers(new int[] {100});
    }

    public RnnRbmConfig {
        if (nh < 1 || nu < 1 || k < 1 || chunk < 1) throw new IllegalArgumentException("rnn-rbm: sizes, k and chunk must be >= 1");
        if (rtrbm) {
            nu = nh;                                                     // the state is the RBM's own hidden layer
            if (lstmLayers != null && lstmLayers.length > 0) throw new IllegalArgumentException("rtrbm: no LSTM layers");
            if (learnU0) throw new IllegalArgumentException("rtrbm: u(0) is 0; --learn-u0 is for rnn-rbm");
        }
        if (batch < 1) throw new IllegalArgumentException("rnn-rbm: batch (chunks per update) must be >= 1, got " + batch);
        lstmLayers = lstmLayers == null ? new int[0] : lstmLayers.clone();
        if (lstmLayers.length > 0) {
            for (int h : lstmLayers) if (h < 1) throw new IllegalArgumentException("lstm-rbm: layer sizes must be >= 1");
            if (nu != lstmLayers[lstmLayers.length - 1]) {
                throw new IllegalArgumentException("lstm-rbm: nu (" + nu + ") must be the top LSTM layer's size " + lstmLayers[lstmLayers.length - 1]);
            }
            if (learnU0) throw new IllegalArgumentException("lstm-rbm: u(0) is the LSTM's zero state; --learn-u0 is for rnn-rbm");
        }
        if (pretrainRnnEpochs < 0 || !(pretrainRnnLr > 0)) throw new IllegalArgumentException("rnn-rbm: RNN pretraining needs epochs >= 0 and a learning rate > 0");
        if (pretrainRnnEpochs > 0 && pretrainEpochs > 0) {
            // RBM pretraining fits a static bv to the frames' marginals, which bv(t) of the pretrained RNN already carries
            throw new IllegalArgumentException("rnn-rbm: choose RBM pretraining (--pretrain) or RNN pretraining (--pretrain-rnn), not both");
        }
        if (pretrainEpochs < 0) throw new IllegalArgumentException("rnn-rbm: --pretrain must be >= 0, got " + pretrainEpochs);
        if (monitorLl < 0) throw new IllegalArgumentException("rnn-rbm: --monitor-ll must be >= 0, got " + monitorLl);
    }

    @Override
    public int[] lstmLayers() { return lstmLayers.clone(); }

    public boolean isLstm() { return lstmLayers.length > 0; }

    /** The model kind: rnn-rbm, lstm-rbm or rtrbm. */
    public String kind() { return RnnRbmKind.of(this).name(); }

    public RnnRbmConfig withNh(int v) { return new RnnRbmConfig(v, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withNu(int v) { return new RnnRbmConfig(nh, v, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withK(int v) { return new RnnRbmConfig(nh, nu, v, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withChunk(int v) { return new RnnRbmConfig(nh, nu, k, v, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withOptimizer(Optimizer.Kind v) { return new RnnRbmConfig(nh, nu, k, chunk, v, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withLrRbm(float v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, v, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withLrRnn(float v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, v, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    /** Both learning rates. */
    public RnnRbmConfig withLr(float v) { return withLrRbm(v).withLrRnn(v); }
    public RnnRbmConfig withMomentum(float v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, v, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withClipNorm(float v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, v, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withLrDecay(float v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, v, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withLearnU0(boolean v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, v, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withPretrainEpochs(int v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, v, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withSeed(long v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, v, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    /** The LSTM-RBM's layers; nu becomes the last layer's size. */
    public RnnRbmConfig withLstmLayers(int[] v) { return new RnnRbmConfig(nh, v.length > 0 ? v[v.length - 1] : nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, v, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withPretrainRnnEpochs(int v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, v, pretrainRnnLr, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withPretrainRnnLr(float v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, v, batch, monitorLl, rtrbm); }
    public RnnRbmConfig withBatch(int v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, v, monitorLl, rtrbm); }
    public RnnRbmConfig withRtrbm(boolean v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, monitorLl, v); }
    public RnnRbmConfig withMonitorLl(int v) { return new RnnRbmConfig(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch, v, rtrbm); }

    /**
     * The settings of rnn-rbm, lstm-rbm or rtrbm: command-line options and checkpoint keys. The keys are those
     * checkpoints have always had (every kind writes nu and learn_u0; only lstm-rbm writes lstm_layers); the kind in
     * a checkpoint's header says which recurrence it has.
     */
    static Settings<RnnRbmConfig> settings(boolean lstm, boolean rtrbm) {
        Settings.Builder<RnnRbmConfig> b = Settings.of(lstm ? lstmDefaults() : rtrbm ? rtrbmDefaults() : defaults());
        if (lstm) {
            b.integers("lstm_layers", "--layers", "H,H,...", "LSTM units per layer (the last is u(t)'s size)",
                    RnnRbmConfig::lstmLayers, RnnRbmConfig::withLstmLayers);
        }
        b.integer("nh", "--hidden", "N", "RBM hidden units", RnnRbmConfig::nh, RnnRbmConfig::withNh)
                .integer("nu", lstm || rtrbm ? null : "--recurrent", "N", "recurrent units u(t)", RnnRbmConfig::nu, RnnRbmConfig::withNu)
                .integer("k", "--k", "N", "Gibbs steps of the CD-k negative phase", RnnRbmConfig::k, RnnRbmConfig::withK)
                .integer("chunk", "--steps|--chunk", "T", "frames per chunk (an update's time steps; each chunk starts from u(0))",
                        RnnRbmConfig::chunk, RnnRbmConfig::withChunk)
                .integer("batch", "--batch", "B", "chunks per update (1: the paper's; B > 1 trains B chunks of the same length "
                        + "as one batch: one Gibbs chain over all their frames, the mean gradient; for a GPU)",
                        RnnRbmConfig::batch, RnnRbmConfig::withBatch).optional()
                .word("optimizer", "--optimizer", "NAME", "the update rule", Optimizer.Kind.class, RnnRbmConfig::optimizer, RnnRbmConfig::withOptimizer)
                .floating(null, "--lr", "R", "the learning rate of both parts (--lr-rbm and --lr-rnn set one)", RnnRbmConfig::lrRbm, RnnRbmConfig::withLr)
                .floating("lr_rbm", "--lr-rbm", "R", "the RBM part's learning rate (W, bv, bh)", RnnRbmConfig::lrRbm, RnnRbmConfig::withLrRbm)
                .floating("lr_rnn", "--lr-rnn", "R", "the RNN part's learning rate (Wuv, Wuh and the recurrence)", RnnRbmConfig::lrRnn, RnnRbmConfig::withLrRnn)
                .floating("momentum", "--momentum", "MU", "momentum of --optimizer momentum and nesterov", RnnRbmConfig::momentum, RnnRbmConfig::withMomentum)
                .floating("clip_norm", "--clip-norm", "C", "clip the gradient to this L2 norm (0: off)", RnnRbmConfig::clipNorm, RnnRbmConfig::withClipNorm)
                .floating("lr_decay", "--lr-decay", "D", "the learning rates' factor per epoch", RnnRbmConfig::lrDecay, RnnRbmConfig::withLrDecay)
                .flag("learn_u0", lstm || rtrbm ? null : "--learn-u0", "learn u(0) instead of fixing it at 0", RnnRbmConfig::learnU0, RnnRbmConfig::withLearnU0)
                .integer("pretrain_epochs", "--pretrain", "N", "epochs of RBM pretraining (W, bv, bh as a plain RBM on shuffled frames) first",
                        RnnRbmConfig::pretrainEpochs, RnnRbmConfig::withPretrainEpochs)
                .integer("pretrain_rnn_epochs", "--pretrain-rnn", "N", "epochs of RNN pretraining first: the RNN part alone as a "
                        + "next-frame predictor (W = 0, cross-entropy, Adam); the RNN-RBM then starts from that RNN",
                        RnnRbmConfig::pretrainRnnEpochs, RnnRbmConfig::withPretrainRnnEpochs).optional()
                .floating("pretrain_rnn_lr", "--pretrain-rnn-lr", "R", "Adam's learning rate in RNN pretraining",
                        RnnRbmConfig::pretrainRnnLr, RnnRbmConfig::withPretrainRnnLr).optional()
                .longInt("seed", "--seed", "S", "initial weights, shuffling and sampling", RnnRbmConfig::seed, RnnRbmConfig::withSeed)
                .integer(null, "--monitor-ll", "N", "validation monitor (best.safetensors, --patience): 0 the expected ACC (cheap, "
                        + "but it does not track the log-likelihood); N > 0 a rough AIS log-likelihood (10 runs x 300 temperatures) on "
                        + "every N-th validation sequence, which grows optimistic as W grows: confirm with evaluate --ais-steps 3000+",
                        RnnRbmConfig::monitorLl, RnnRbmConfig::withMonitorLl);
        return b.build();
    }
}
