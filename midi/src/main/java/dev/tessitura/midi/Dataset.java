package dev.tessitura.midi;

import java.util.List;

/** A piano-roll data set: train, valid and test splits (immutable lists) and a name/description. */
public record Dataset(String name, List<PianoRoll> train, List<PianoRoll> valid, List<PianoRoll> test) {
    /** The split names in their standard order. */
    public static final List<String> SPLITS = List.of("train", "valid", "test");

    public Dataset {
        train = List.copyOf(train);
        valid = List.copyOf(valid);
        test = List.copyOf(test);
    }

    /** The split called {@code "train"}, {@code "valid"} or {@code "test"}. */
    public List<PianoRoll> split(String split) {
        return switch (split) {
            case "train" -> train;
            case "valid" -> valid;
            case "test" -> test;
            default -> throw new IllegalArgumentException("no split " + split + "; one of " + SPLITS);
        };
    }
}
