package dev.tessitura.model.notes;

import dev.tessitura.model.Settings;

/**
 * The note-by-note model's hyper-parameters, changed by name: {@code NoteConfig.defaults().withBatch(16)}.
 *
 * @param frame     units per layer of the frame LSTM (one step per frame, fed the previous frame)
 * @param note      units per layer of the note LSTM (one step per token within a frame, fed the frame LSTM)
 * @param batch     streams per minibatch (rows of the frame LSTM)
 * @param steps     frames per chunk of truncated back-propagation through time
 * @param lr        Adam's learning rate in the first epoch
 * @param lrDecay   the learning rate is multiplied by this after every epoch (1: constant)
 * @param clipNorm  the largest global L2 norm of the gradient, 0 = no clipping
 * @param dropout   the probability of dropping each output of the frame LSTM and of the note LSTM in training
 * @param augment   train on every training tune in each of 12 keys (moved by -5..+6 semitones, where it stays in range)
 */
public record NoteConfig(int[] frame, int[] note, int batch, int steps, float lr, float lrDecay, float clipNorm, float dropout,
                         double initStd, float forgetBias, boolean augment, long seed) {
    public static NoteConfig defaults() {
        return new NoteConfig(new int[] {200, 200}, new int[] {200}, 32, 64, 0.002f, 0.95f, 5f, 0f, 0.08, 1f, false, 1);
    }

    public NoteConfig {
        frame = frame.clone();
        note = note.clone();
        if (frame.length == 0 || note.length == 0) throw new IllegalArgumentException("note-lstm: at least one layer in each LSTM");
        for (int h : frame) if (h < 1) throw new IllegalArgumentException("note-lstm: layer size " + h + " must be >= 1");
        for (int h : note) if (h < 1) throw new IllegalArgumentException("note-lstm: layer size " + h + " must be >= 1");
        if (batch < 1 || steps < 1) throw new IllegalArgumentException("note-lstm: batch and steps must be >= 1, got " + batch + ", " + steps);
        if (!(lr > 0) || !(lrDecay > 0 && lrDecay <= 1) || !(clipNorm >= 0) || !(initStd >= 0)) {
            throw new IllegalArgumentException("note-lstm: need lr > 0, 0 < lr decay <= 1, clip norm >= 0, init std >= 0; got "
                    + lr + ", " + lrDecay + ", " + clipNorm + ", " + initStd);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("note-lstm: dropout must be in [0, 1), got " + dropout);
    }

    @Override public int[] frame() { return frame.clone(); }

    @Override public int[] note() { return note.clone(); }

    /** The learning rate of epoch {@code epoch} (from 0). */
    public float lr(int epoch) {
        return (float) (lr * Math.pow(lrDecay, epoch));
    }

    public NoteConfig withFrame(int[] v) { return new NoteConfig(v, note, batch, steps, lr, lrDecay, clipNorm, dropout, initStd, forgetBias, augment, seed); }
    public NoteConfig withNote(int[] v) { return new NoteConfig(frame, v, batch, steps, lr, lrDecay, clipNorm, dropout, initStd, forgetBias, augment, seed); }
    public NoteConfig withBatch(int v) { return new NoteConfig(frame, note, v, steps, lr, lrDecay, clipNorm, dropout, initStd, forgetBias, augment, seed); }
    public NoteConfig withSteps(int v) { return new NoteConfig(frame, note, batch, v, lr, lrDecay, clipNorm, dropout, initStd, forgetBias, augment, seed); }
    public NoteConfig withLr(float v) { return new NoteConfig(frame, note, batch, steps, v, lrDecay, clipNorm, dropout, initStd, forgetBias, augment, seed); }
    public NoteConfig withLrDecay(float v) { return new NoteConfig(frame, note, batch, steps, lr, v, clipNorm, dropout, initStd, forgetBias, augment, seed); }
    public NoteConfig withClipNorm(float v) { return new NoteConfig(frame, note, batch, steps, lr, lrDecay, v, dropout, initStd, forgetBias, augment, seed); }
    public NoteConfig withDropout(float v) { return new NoteConfig(frame, note, batch, steps, lr, lrDecay, clipNorm, v, initStd, forgetBias, augment, seed); }
    public NoteConfig withInitStd(double v) { return new NoteConfig(frame, note, batch, steps, lr, lrDecay, clipNorm, dropout, v, forgetBias, augment, seed); }
    public NoteConfig withForgetBias(float v) { return new NoteConfig(frame, note, batch, steps, lr, lrDecay, clipNorm, dropout, initStd, v, augment, seed); }
    public NoteConfig withAugment(boolean v) { return new NoteConfig(frame, note, batch, steps, lr, lrDecay, clipNorm, dropout, initStd, forgetBias, v, seed); }
    public NoteConfig withSeed(long v) { return new NoteConfig(frame, note, batch, steps, lr, lrDecay, clipNorm, dropout, initStd, forgetBias, augment, v); }

    /** Command-line options and checkpoint keys. */
    static final Settings<NoteConfig> SETTINGS = Settings.of(defaults())
            .integers("frame", "--frame-layers", "H,H,...", "units per layer of the frame LSTM (one step per frame)", NoteConfig::frame,
                    NoteConfig::withFrame)
            .integers("note", "--note-layers", "H,H,...", "units per layer of the note LSTM (one step per note of a frame, and its end)",
                    NoteConfig::note, NoteConfig::withNote)
            .integer("batch", "--batch", "B", "streams of tunes per minibatch", NoteConfig::batch, NoteConfig::withBatch)
            .integer("steps", "--steps", "T", "frames per chunk (time steps of truncated back-propagation)", NoteConfig::steps,
                    NoteConfig::withSteps)
            .floating("lr", "--lr", "R", "Adam's learning rate", NoteConfig::lr, NoteConfig::withLr)
            .floating("lr_decay", "--lr-decay", "D", "the learning rate is multiplied by D after every epoch", NoteConfig::lrDecay,
                    NoteConfig::withLrDecay)
            .floating("clip_norm", "--clip-norm", "C", "clip the gradient to this global L2 norm (0: off)", NoteConfig::clipNorm,
                    NoteConfig::withClipNorm)
            .floating("dropout", "--dropout", "P", "drop each output of both LSTMs with probability P in training (Walder: 0.55)",
                    NoteConfig::dropout, NoteConfig::withDropout)
            .real("init_std", "--init-std", "S", "initial weights ~ N(0, S^2)", NoteConfig::initStd, NoteConfig::withInitStd)
            .floating("forget_bias", "--forget-bias", "B", "initial bias of the forget gates", NoteConfig::forgetBias,
                    NoteConfig::withForgetBias)
            .flag("augment", "--augment", "train on every training tune in 12 keys (-5..+6 semitones where it stays in range); "
                    + "validation and test stay as they are", NoteConfig::augment, NoteConfig::withAugment)
            .longInt("seed", "--seed", "S", "initial weights, shuffling and dropout", NoteConfig::seed, NoteConfig::withSeed)
            .build();
}
