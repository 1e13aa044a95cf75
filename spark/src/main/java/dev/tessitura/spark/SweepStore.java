package dev.tessitura.spark;

import dev.tessitura.midi.render.SweepImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sweep's folder. Each trial's result is its own files under {@code trials/}: the checkpoint and metrics.csv
 * first, then {@code <id>.properties}, the trial's commit point; every file is written to a temporary name, synced
 * and renamed, so a crash or {@code kill -9} at any moment leaves a trial done or not, never half done. A sweep
 * started again on the folder runs only the trials without a result. The summary (trials.csv, trials.md, sweep.png,
 * best.safetensors) is derived from the results and rewritten, by rename too, after every sweep.
 */
final class SweepStore {
    static final String TRIALS = "trials", CSV = "trials.csv", TABLE = "trials.md", PLOT = "sweep.png", BEST = "best.safetensors";

    private final Path dir;

    SweepStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve(TRIALS));
    }

    Path dir() {
        return dir;
    }

    private Path file(String id, String ext) {
        return dir.resolve(TRIALS).resolve(id + ext);
    }

    /** The trial's checkpoint in this folder. */
    Path checkpoint(String id) {
        return file(id, ".safetensors");
    }

    /** The stored result of a trial, or null when it has none (a result that does not parse counts as none). */
    TrialResult read(String id) throws IOException {
        Path p = file(id, ".properties");
        if (!Files.exists(p)) return null;
        try {
            String text = Files.readString(p);
            Path ckpt = checkpoint(id), csv = file(id, ".metrics.csv");
            return TrialResult.parse(text, Files.exists(ckpt) ? Files.readAllBytes(ckpt) : null, Files.exists(csv) ? Files.readString(csv) : "");
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Writes a trial's result: its checkpoint and metrics, then the properties that make it count. */
    void write(TrialResult r) throws IOException {
        if (r.ok()) {
            atomic(checkpoint(r.id()), r.checkpoint());
            atomic(file(r.id(), ".metrics.csv"), r.metricsCsv().getBytes(StandardCharsets.UTF_8));
        }
        atomic(file(r.id(), ".properties"), r.properties().getBytes(StandardCharsets.UTF_8));
    }

    /** Writes bytes to a temporary file beside {@code file}, syncs it, and renames it over {@code file}. */
    static void atomic(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The index of the best trial that ran (highest validation log-likelihood per frame), or -1. */
    static int best(List<TrialResult> results) {
        int best = -1;
        for (int i = 0; i < results.size(); i++) {
            TrialResult r = results.get(i);
            if (r != null && r.ok() && Double.isFinite(r.validLl()) && (best < 0 || r.validLl() > results.get(best).validLl())) best = i;
        }
        return best;
    }

    /**
     * Writes the summary of these trials (a null result: not run) and returns the best one's index (-1: none ran):
     * trials.csv and trials.md (one row per trial, in grid order), sweep.png (the validation log-likelihood against
     * each swept key) and best.safetensors (the best trial's checkpoint).
     */
    int summarize(List<Trial> trials, List<TrialResult> results, List<String> keys, List<String> swept) throws IOException {
        int best = best(results);
        StringBuilder csv = new StringBuilder("trial,id");
        for (String k : keys) csv.append(',').append(k);
        csv.append(",seed,status,valid_ll,valid_ll_stderr,valid_acc,train_cost,epochs,seconds,executor,error\n");
        StringBuilder md = new StringBuilder("| trial |");
        for (String k : keys) md.append(' ').append(k).append(" |");
        md.append(" seed | valid LL/frame | valid ACC | train cost | epochs | seconds | result |\n|---|");
        md.append("---|".repeat(keys.size())).append("---|---:|---:|---:|---:|---:|---|\n");
        for (int i = 0; i < trials.size(); i++) {
            Trial t = trials.get(i);
            TrialResult r = results.get(i);
            String status = r == null ? "not run" : r.ok() ? "ok" : "failed";
            csv.append(t.index()).append(',').append(t.id());
            md.append("| ").append(t.index()).append(i == best ? " (best)" : "").append(" |");
            for (String k : keys) {
                csv.append(',').append(csvField(t.values().get(k)));
                md.append(' ').append(t.values().get(k)).append(" |");
            }
            csv.append(',').append(t.seed()).append(',').append(status);
            md.append(' ').append(t.seed()).append(" |");
            if (r != null && r.ok()) {
                csv.append(String.format(Locale.ROOT, ",%s,%s,%s,%s,%d,%.1f,%s,", r.validLl(), r.validLlStdErr(), r.validAcc(), r.trainCost(),
                        r.epochs(), r.seconds(), csvField(r.executor())));
                md.append(String.format(Locale.ROOT, " %.4f ± %.4f | %.2f%% | %.4f | %d | %.1f | ok |%n", r.validLl(), r.validLlStdErr(),
                        100 * r.validAcc(), r.trainCost(), r.epochs(), r.seconds()));
            } else {
                String error = r == null ? "" : r.error();
                csv.append(",,,,,,").append(r == null ? "" : String.format(Locale.ROOT, "%.1f", r.seconds())).append(',')
                        .append(csvField(r == null ? "" : r.executor())).append(',').append(csvField(error));
                md.append(" | | | | | ").append(status).append(error.isEmpty() ? "" : ": " + error.replace("|", "\\|")).append(" |\n");
            }
            csv.append('\n');
        }
        atomic(dir.resolve(CSV), csv.toString().getBytes(StandardCharsets.UTF_8));
        atomic(dir.resolve(TABLE), md.toString().getBytes(StandardCharsets.UTF_8));
        plot(trials, results, swept.isEmpty() ? keys : swept, best);
        if (best >= 0) atomic(dir.resolve(BEST), results.get(best).checkpoint());
        return best;
    }

    private void plot(List<Trial> trials, List<TrialResult> results, List<String> keys, int best) throws IOException {
        double[] scores = new double[trials.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = results.get(i) != null && results.get(i).ok() ? results.get(i).validLl() : Double.NaN;
        List<SweepImage.Panel> panels = new ArrayList<>();
        for (String k : keys) panels.add(new SweepImage.Panel(k, trials.stream().map(t -> t.values().get(k)).toList()));
        Path tmp = dir.resolve("." + PLOT + ".tmp.png");
        try {
            SweepImage.write(panels, scores, best, "valid LL/frame", tmp);
            Files.move(tmp, dir.resolve(PLOT), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A CSV field, quoted where it holds a comma, a quote or a line break. */
    static String csvField(String s) {
        if (s == null) return "";
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
