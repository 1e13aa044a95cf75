package dev.tessitura.model.run;

import dev.tessitura.midi.render.TrainingCurveImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The per-epoch rows of a run's metrics.csv, kept across a resume, and the curve drawn from them. */
public final class Metrics {
    static final String HEADER = "epoch,train_cost,valid_cost,valid_acc,frames_per_s,seconds";

    private final List<double[]> rows = new ArrayList<>();   // epoch, train, valid cost, valid acc, rate, seconds

    /**
     * Reads the rows of epochs 1..epochs from an existing file (none if it is absent). The file is derived from the
     * run (the checkpoint is what counts), so a row that does not parse, say one that an editor mangled, is left out.
     */
    public static Metrics read(Path csv, int epochs) throws IOException {
        Metrics m = new Metrics();
        if (!Files.exists(csv)) return m;
        for (String line : Files.readAllLines(csv)) {
            if (line.isBlank() || line.startsWith("epoch")) continue;
            String[] f = line.split(",");
            double[] row = new double[6];
            try {
                for (int i = 0; i < 6; i++) row[i] = Double.parseDouble(f[i]);
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                continue;
            }
            if (row[0] <= epochs) m.rows.add(row);
        }
        return m;
    }

    public void add(int epoch, double train, double validCost, double validAcc, double rate, double seconds) {
        rows.add(new double[] {epoch, train, validCost, validAcc, rate, seconds});
    }

    public int size() {
        return rows.size();
    }

    /**
     * True when the last epoch has the lowest validation cost so far (the training cost where there is no
     * validation split).
     */
    public boolean isBestValid() {
        int col = Double.isNaN(rows.get(rows.size() - 1)[2]) ? 1 : 2;
        double last = rows.get(rows.size() - 1)[col];
        for (int i = 0; i < rows.size() - 1; i++) if (!(last < rows.get(i)[col])) return false;
        return !Double.isNaN(last);
    }

    /** Rewrites the CSV (a temporary file renamed over it). */
    public void writeCsv(Path csv) throws IOException {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (double[] r : rows) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.1f,%.2f%n", (int) r[0], r[1], r[2], r[3], r[4], r[5]));
        }
        Path tmp = csv.resolveSibling(csv.getFileName() + ".tmp");
        Files.writeString(tmp, sb, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(tmp, csv, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Draws the training and validation costs per epoch (into a temporary file renamed over png: never half a picture). */
    public void writeCurve(Path png, String title) throws IOException {
        double[] train = new double[rows.size()], valid = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            train[i] = rows.get(i)[1];
            valid[i] = rows.get(i)[2];
        }
        Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp.png");
        try {
            TrainingCurveImage.write(train, valid, title, "cost per frame", tmp);
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
