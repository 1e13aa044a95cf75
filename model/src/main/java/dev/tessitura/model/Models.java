package dev.tessitura.model;

import dev.tessitura.model.baseline.NgramKind;
import dev.tessitura.model.baseline.RandomKind;
import dev.tessitura.model.baseline.RepeatKind;
import dev.tessitura.model.framerbm.FrameRbmKind;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.lstm.LstmKind;
import dev.tessitura.model.melody.MelodyKind;
import dev.tessitura.model.mlp.MlpKind;
import dev.tessitura.model.nade.NadeKind;
import dev.tessitura.model.nade.RnnNadeKind;
import dev.tessitura.model.notes.NoteKind;
import dev.tessitura.model.rnnrbm.RnnKind;
import dev.tessitura.model.rnnrbm.RnnRbmKind;
import java.util.List;
import java.util.Optional;

/** The registry: every kind of model this build trains, samples and evaluates. */
public final class Models {
    private Models() {}

    /** In the order the help lists them. */
    public static final List<ModelKind<?>> ALL = List.of(RnnRbmKind.RNN_RBM, RnnRbmKind.LSTM_RBM, RnnRbmKind.RTRBM,
            RnnNadeKind.RNN_NADE, RnnNadeKind.LSTM_NADE, NadeKind.NADE, LstmKind.LSTM, MelodyKind.MELODY, NoteKind.NOTES,
            RandomKind.RANDOM, NgramKind.NGRAM, RepeatKind.REPEAT, FrameRbmKind.RBM, RnnKind.RNN, MlpKind.MLP);

    public static Optional<ModelKind<?>> find(String name) {
        return ALL.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    /** The kind named {@code name}; an error listing the known ones otherwise. */
    public static ModelKind<?> byName(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown model '" + name + "' (" + names() + ")"));
    }

    /** The kind of model a checkpoint holds. */
    public static ModelKind<?> of(SafeTensors.Contents c) {
        String kind = c.metadata().get("kind");
        if (kind == null) throw new IllegalArgumentException("not a checkpoint of this program (no 'kind' in its header)");
        return find(kind).orElseThrow(() -> new IllegalArgumentException("a checkpoint of an unknown model kind '" + kind
                + "' (this build knows " + names() + ")"));
    }

    public static String names() {
        return String.join(", ", ALL.stream().map(ModelKind::name).toList());
    }
}
