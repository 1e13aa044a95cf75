package dev.tessitura.model.baseline;

import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ModelKind.NoSettings;
import dev.tessitura.model.Settings;
import dev.tessitura.model.io.SafeTensors;
import java.util.List;
import java.util.Map;

/**
 * Repeat the previous frame (silence before the first): the trivial next-frame predictor a sequence model must beat.
 * Its predictions are certain, so it has an accuracy but no log-likelihood.
 */
public final class RepeatKind extends BaselineKind<NoSettings> {
    public static final RepeatKind REPEAT = new RepeatKind();

    private RepeatKind() {}

    @Override public String name() { return "repeat"; }

    @Override public String summary() { return "each frame predicted as a copy of the one before (accuracy only)"; }

    @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

    @Override boolean likelihood() { return false; }

    @Override NoteTable count(NoSettings config, List<PianoRoll> train, int n) {
        return TABLE;
    }

    @Override NoteTable load(NoSettings config, SafeTensors.Contents c, int n) {
        return TABLE;
    }

    private static final NoteTable TABLE = new NoteTable() {
        @Override public void predict(float[] roll, int t, int n, double[] p) {
            for (int j = 0; j < n; j++) p[j] = t == 0 ? 0 : roll[(t - 1) * n + j];
        }

        @Override public Map<String, float[]> tensors() {
            return Map.of();
        }

        @Override public String describe() {
            return "the previous frame";
        }
    };
}
