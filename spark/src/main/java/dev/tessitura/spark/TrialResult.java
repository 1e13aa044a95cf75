package dev.tessitura.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Properties;

/**
 * What a trial gives back to the driver: its figures (the validation log-likelihood per frame with its standard
 * error, the expected frame-level accuracy, the last training cost), or its error; and its checkpoint and
 * metrics.csv. Written as a properties file beside the checkpoint ({@link SweepStore}).
 *
 * @param error      null for a trial that ran; else one line saying why it did not (a divergence, a rejected setting)
 * @param checkpoint the final checkpoint's bytes (none when it failed)
 */
record TrialResult(String id, String error, long validFrames, double validLl, double validLlStdErr, double validAcc, double trainCost,
                   int epochs, double seconds, String executor, String backend, byte[] checkpoint, String metricsCsv) implements Serializable {

    static TrialResult failed(String id, String error, double seconds, String executor) {
        return new TrialResult(id, error, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, seconds, executor, "", null, "");
    }

    boolean ok() {
        return error == null;
    }

    /** The same result, run by this executor. */
    TrialResult on(String executor) {
        return new TrialResult(id, error, validFrames, validLl, validLlStdErr, validAcc, trainCost, epochs, seconds, executor, backend,
                checkpoint, metricsCsv);
    }

    /** The figures as a properties file's text (doubles in Java's round-trip form: read back to the same bits). */
    String properties() {
        Properties p = new Properties();
        p.setProperty("id", id);
        p.setProperty("status", ok() ? "ok" : "failed");
        if (!ok()) p.setProperty("error", error);
        p.setProperty("valid_frames", Long.toString(validFrames));
        p.setProperty("valid_ll", Double.toString(validLl));
        p.setProperty("valid_ll_stderr", Double.toString(validLlStdErr));
        p.setProperty("valid_acc", Double.toString(validAcc));
        p.setProperty("train_cost", Double.toString(trainCost));
        p.setProperty("epochs", Integer.toString(epochs));
        p.setProperty("seconds", Double.toString(seconds));
        p.setProperty("executor", executor);
        p.setProperty("backend", backend);
        StringWriter w = new StringWriter();
        try {
            p.store(w, "tessitura sweep trial");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }

    /** A result read back from {@link #properties} and its files; an IllegalArgumentException when it does not parse. */
    static TrialResult parse(String text, byte[] checkpoint, String metricsCsv) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
            boolean ok = "ok".equals(p.getProperty("status"));
            return new TrialResult(p.getProperty("id"), ok ? null : p.getProperty("error", "failed"), Long.parseLong(p.getProperty("valid_frames")),
                    number(p, "valid_ll"), number(p, "valid_ll_stderr"), number(p, "valid_acc"), number(p, "train_cost"),
                    Integer.parseInt(p.getProperty("epochs")), number(p, "seconds"), p.getProperty("executor", ""), p.getProperty("backend", ""),
                    ok ? checkpoint : null, metricsCsv);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("a trial's result file does not parse: " + e.getMessage());
        }
    }

    private static double number(Properties p, String key) {
        return Double.parseDouble(p.getProperty(key));
    }
}
