package dev.tessitura.model.nade;

import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Settings;

/**
 * The RNN-NADE's hyper-parameters (and the LSTM-NADE's, whose u(t) is the top layer of an LSTM stack): the RNN-RBM
 * tutorial's sizes and training (150 hidden, 100 recurrent, chunks of 100 frames, one per update, SGD at 0.001),
 * changed by name: {@code RnnNadeConfig.defaults().withNh(100).withOptimizer(Optimizer.Kind.ADAM)}.
 *
 * @param chunk             frames per chunk: every sequence is cut into chunks, each an update's T steps from u(0) = 0
 * @param batch             B chunks of the same length per update (the mean gradient over their T B frames)
 * @param lstmLayers        empty: the paper's tanh recurrence of nu units; else the LSTM-NADE's layer sizes (nu = the last)
 * @param augment           the training split and its copies transposed by -6..+5 semitones (validation, test untouched)
 * @param pretrainEpochs    epochs of NADE pretraining first: W, V, bv, bh as a plain NADE on shuffled frames (Adam)
 * @param pretrainRnnEpochs epochs of RNN pretraining first: the RNN alone as a next-frame predictor (V = 0, Adam)
 * @param pretrainLr        Adam's learning rate in either pretraining
 * @param dropout           in training, drop each unit of u(t-1) where it meets the bias maps with this probability
 * @param skip              lstm-nade: v(t) feeds every LSTM layer and u(t) is every layer's h (Graves' skip connections)
 */
public record RnnNadeConfig(int nh, int nu, int[] lstmLayers, int chunk, int batch, Optimizer.Kind optimizer, float lrNade,
                            float lrRnn, float momentum, float clipNorm, float lrDecay, boolean augment, int pretrainEpochs,
                            int pretrainRnnEpochs, float pretrainLr, float dropout, boolean skip, long seed) {
    public static RnnNadeConfig defaults() {
        return new RnnNadeConfig(150, 100, new int[0], 100, 1, Optimizer.Kind.SGD, 0.001f, 0.001f, 0.9f, 0f, 1f, false, 0, 0, 0.001f, 0f, false, 1);
    }

    /** The LSTM-NADE's defaults: one LSTM layer of 100 units. */
    public static RnnNadeConfig lstmDefaults() {
        return defaults().withLstmLayers(new int[] {100});
    }

    public RnnNadeConfig {
        String kind = lstmLayers != null && lstmLayers.length > 0 ? "lstm-nade" : "rnn-nade";
        if (nh < 1 || nu < 1 || chunk < 1) throw new IllegalArgumentException(kind + ": --hidden, --recurrent and --steps must be >= 1");
        if (batch < 1) throw new IllegalArgumentException(kind + ": --batch (chunks per update) must be >= 1, got " + batch);
        lstmLayers = lstmLayers == null ? new int[0] : lstmLayers.clone();
        for (int h : lstmLayers) if (h < 1) throw new IllegalArgumentException(kind + ": layer sizes must be >= 1");
        if (lstmLayers.length > 0 && nu != lstmLayers[lstmLayers.length - 1]) {
            throw new IllegalArgumentException(kind + ": nu (" + nu + ") must be the top LSTM layer's size " + lstmLayers[lstmLayers.length - 1]);
        }
        if (pretrainEpochs < 0 || pretrainRnnEpochs < 0) throw new IllegalArgumentException(kind + ": pretraining epochs must be >= 0");
        if (pretrainEpochs > 0 && pretrainRnnEpochs > 0) {
            // both fit bv: NADE pretraining to the frames' marginals, RNN pretraining to bv(t) given the history
            throw new IllegalArgumentException(kind + ": choose NADE pretraining (--pretrain) or RNN pretraining (--pretrain-rnn), not both");
        }
        if (!(pretrainLr > 0)) throw new IllegalArgumentException(kind + ": --pretrain-lr must be > 0");
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException(kind + ": --dropout must be in [0, 1), got " + dropout);
        if (skip && lstmLayers.length == 0) {
            throw new IllegalArgumentException("rnn-nade: --skip is for lstm-nade (skip connections join the layers of an LSTM stack)");
        }
    }

    @Override
    public int[] lstmLayers() { return lstmLayers.clone(); }

    public boolean isLstm() { return lstmLayers.length > 0; }

    /** The model kind: rnn-nade or lstm-nade. */
    public String kind() { return isLstm() ? "lstm-nade" : "rnn-nade"; }

    public RnnNadeConfig withNh(int v) { return new RnnNadeConfig(v, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withNu(int v) { return new RnnNadeConfig(nh, v, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withChunk(int v) { return new RnnNadeConfig(nh, nu, lstmLayers, v, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withBatch(int v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, v, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withOptimizer(Optimizer.Kind v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, v, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withLrNade(float v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, v, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withLrRnn(float v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, v, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withMomentum(float v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, v, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withClipNorm(float v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, v, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withLrDecay(float v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, v, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withAugment(boolean v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, v, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withPretrainEpochs(int v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, v, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withPretrainRnnEpochs(int v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, v, pretrainLr, dropout, skip, seed); }
    public RnnNadeConfig withPretrainLr(float v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, v, dropout, skip, seed); }
    public RnnNadeConfig withDropout(float v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, v, skip, seed); }
    public RnnNadeConfig withSkip(boolean v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, v, seed); }
    public RnnNadeConfig withSeed(long v) { return new RnnNadeConfig(nh, nu, lstmLayers, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, v); }
    /** The LSTM-NADE's layers; nu becomes the last layer's size. */
    public RnnNadeConfig withLstmLayers(int[] v) { return new RnnNadeConfig(nh, v.length > 0 ? v[v.length - 1] : nu, v, chunk, batch, optimizer, lrNade, lrRnn, momentum, clipNorm, lrDecay, augment, pretrainEpochs, pretrainRnnEpochs, pretrainLr, dropout, skip, seed); }
    /** Both learning rates. */
    public RnnNadeConfig withLr(float v) { return withLrNade(v).withLrRnn(v); }

    /** The settings of rnn-nade ({@code lstm} false) or lstm-nade: command-line options and checkpoint keys. */
    static Settings<RnnNadeConfig> settings(boolean lstm) {
        Settings.Builder<RnnNadeConfig> b = Settings.of(lstm ? lstmDefaults() : defaults());
        if (lstm) {
            b.integers("lstm_layers", "--layers", "H,H,...", "LSTM units per layer (the last is u(t)'s size)",
                    RnnNadeConfig::lstmLayers, RnnNadeConfig::withLstmLayers);
        }
        b.integer("nh", "--hidden", "N", "NADE hidden units", RnnNadeConfig::nh, RnnNadeConfig::withNh)
                .integer("nu", lstm ? null : "--recurrent", "N", "recurrent units u(t)", RnnNadeConfig::nu, RnnNadeConfig::withNu)
                .integer("chunk", "--steps|--chunk", "T", "frames per chunk (an update's time steps; each chunk starts from u(0) = 0)",
                        RnnNadeConfig::chunk, RnnNadeConfig::withChunk)
                .integer("batch", "--batch", "B", "chunks of the same length per update (the mean gradient over their frames)",
                        RnnNadeConfig::batch, RnnNadeConfig::withBatch)
                .word("optimizer", "--optimizer", "NAME", "the update rule", Optimizer.Kind.class, RnnNadeConfig::optimizer, RnnNadeConfig::withOptimizer)
                .floating(null, "--lr", "R", "the learning rate of both parts (--lr-nade and --lr-rnn set one)", RnnNadeConfig::lrNade, RnnNadeConfig::withLr)
                .floating("lr_nade", "--lr-nade", "R", "the NADE part's learning rate (W, V, bv, bh)", RnnNadeConfig::lrNade, RnnNadeConfig::withLrNade)
                .floating("lr_rnn", "--lr-rnn", "R", "the RNN part's learning rate (Wuh, Wuv and the recurrence)", RnnNadeConfig::lrRnn, RnnNadeConfig::withLrRnn)
                .floating("momentum", "--momentum", "MU", "momentum of --optimizer momentum and nesterov", RnnNadeConfig::momentum, RnnNadeConfig::withMomentum)
                .floating("clip_norm", "--clip-norm", "C", "clip the gradient to this L2 norm (0: off)", RnnNadeConfig::clipNorm, RnnNadeConfig::withClipNorm)
                .floating("lr_decay", "--lr-decay", "D", "the learning rates' factor per epoch", RnnNadeConfig::lrDecay, RnnNadeConfig::withLrDecay)
                .flag("augment", "--augment", "train on the training split transposed by -6..+5 semitones too (validation and test untouched)",
                        RnnNadeConfig::augment, RnnNadeConfig::withAugment)
                .integer("pretrain_epochs", "--pretrain", "N", "epochs of NADE pretraining first (W, V, bv, bh as a plain NADE on shuffled frames, Adam)",
                        RnnNadeConfig::pretrainEpochs, RnnNadeConfig::withPretrainEpochs)
                .integer("pretrain_rnn_epochs", "--pretrain-rnn", "N", "epochs of RNN pretraining first: the RNN part alone as a next-frame "
                        + "predictor (V = 0, cross-entropy, Adam); the RNN-NADE then starts from that RNN", RnnNadeConfig::pretrainRnnEpochs,
                        RnnNadeConfig::withPretrainRnnEpochs)
                .floating("pretrain_lr", "--pretrain-lr", "R", "Adam's learning rate in either pretraining", RnnNadeConfig::pretrainLr, RnnNadeConfig::withPretrainLr)
                .floating("dropout", "--dropout", "P", "in training, drop each unit of u(t-1) where it sets the biases bv(t), bh(t) with "
                        + "probability P (the kept ones times 1 / (1 - P)); not in pretraining", RnnNadeConfig::dropout, RnnNadeConfig::withDropout)
                .optional();
        if (lstm) {
            b.flag("skip", "--skip", "skip connections (Graves 2013): v(t) feeds every LSTM layer and every layer's h sets the biases "
                    + "(Wuv, Wuh get a block of rows per layer)", RnnNadeConfig::skip, RnnNadeConfig::withSkip).optional();
        }
        return b.longInt("seed", "--seed", "S", "initial weights, shuffling, sampling and dropout", RnnNadeConfig::seed, RnnNadeConfig::withSeed)
                .build();
    }
}
