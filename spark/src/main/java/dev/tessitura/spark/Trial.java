package dev.tessitura.spark;

import java.io.Serializable;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One trial of a sweep, everything an executor needs to run it and nothing of where: the model's settings by
 * option name (the grid's values and the seed), the run's length, the data's shipped name, the checkpoint header's
 * entries about the data (as {@code train} writes them), the backend, and the validation evaluation's settings.
 *
 * @param id       a digest of everything that decides the trial's result: its file name in the sweep's folder
 * @param values   the grid's values only (the swept parameters and the fixed ones), for tables and plots
 * @param settings values plus the seed: what the model is configured with
 * @param about    data, data_sha256, max_sequences: the header entries train writes (backend is added where it runs)
 * @param eval     the model's evaluate settings for the validation figure, by option name
 */
record Trial(int index, String id, String model, Map<String, String> values, Map<String, String> settings, long seed, int epochs, int patience,
             int maxSequences, String dataName, Map<String, String> about, String backend, int threads, int vectorBits,
             Map<String, String> eval, int evalEvery) implements Serializable {
    Trial {
        values = new LinkedHashMap<>(values);
        settings = new LinkedHashMap<>(settings);
        about = new LinkedHashMap<>(about);
        eval = new LinkedHashMap<>(eval);
    }

    /** The identity of a trial: the digest of what decides its result (not its index in a sweep, nor where it runs). */
    static String id(String model, Map<String, String> settings, int epochs, int patience, int maxSequences, String dataSha256,
                     String backend, int threads, int vectorBits, Map<String, String> eval, int evalEvery) {
        String key = String.join("\n", model, settings.toString(), Integer.toString(epochs), Integer.toString(patience),
                Integer.toString(maxSequences), dataSha256, backend, Integer.toString(threads), Integer.toString(vectorBits), eval.toString(),
                Integer.toString(evalEvery));
        return HexFormat.of().formatHex(Grid.sha256(key), 0, 6);
    }

    /** "hidden=150 lr-rbm=0.01". */
    String label() {
        StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }
}
