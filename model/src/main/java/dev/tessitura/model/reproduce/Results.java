package dev.tessitura.model.reproduce;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.TableImage;
import dev.tessitura.model.ModelKind;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What a reproduction writes: each trial's result (a small properties file, exact doubles), and the table as
 * TABLE.md, results.json and table.png. Every file is written to a temporary name and renamed over the old one, so a
 * stop at any moment leaves the old file or the new one. Timings are kept apart from the figures (a section of
 * TABLE.md and an object of results.json of their own): the figures of a resumed reproduction equal those of one never
 * stopped; its timings do not.
 */
final class Results {
    static final String TABLE = "TABLE.md", JSON = "results.json", PNG = "table.png";
    /** TABLE.md's section of timings: everything before it is figures. */
    static final String TIME_HEADING = "## Time";

    private Results() {}

    /** The budget's AIS and the paper's protocol on the same first test frames (with their seconds). */
    record Check(ModelKind.Scores budget, ModelKind.Scores paper, double[] seconds) {}

    /** A finished row: its candidates and their validation results, the chosen one's test scores, the AIS check, seconds (train, evaluate). */
    record RowResult(Recipes.Row row, List<Candidate> candidates, Candidate chosen, Map<String, Trial.Result> valid,
                     ModelKind.Scores test, Check check, double[] seconds) {
        String summary() {
            return figures(test) + (chosen.label().isEmpty() ? "" : ", chosen " + chosen.label())
                    + String.format(Locale.ROOT, " (%.0f s)", seconds[0] + seconds[1]);
        }
    }

    /** "LL -4.5445 +- 0.0123, ACC 69.33 +- 0.12 % (44,463 frames)". */
    static String figures(ModelKind.Scores s) {
        return String.format(Locale.ROOT, "LL %s, ACC %s %% (%,d frames)", ll(s, " +- "), acc(s, " +- "), s.frames());
    }

    private static String ll(ModelKind.Scores s, String pm) {
        return Double.isNaN(s.logLikelihood()) ? "-" : String.format(Locale.ROOT, "%.4f%s%.4f", s.logLikelihood(), pm, s.stdErr());
    }

    private static String acc(ModelKind.Scores s, String pm) {
        if (Double.isNaN(s.accuracy())) return "-";
        return String.format(Locale.ROOT, "%.2f", 100 * s.accuracy()) + (Double.isNaN(s.accStdErr()) ? ""
                : String.format(Locale.ROOT, "%s%.2f", pm, 100 * s.accStdErr()));
    }

    // ---------------------------------------------------------------- trial results

    static void writeResult(Path file, Trial.Result r) throws IOException {
        Map<String, String> m = new TreeMap<>();
        m.put("id", r.id());
        m.put("frames", Long.toString(r.scores().frames()));
        m.put("ll", Double.toString(r.scores().logLikelihood()));
        m.put("ll_stderr", Double.toString(r.scores().stdErr()));
        m.put("acc", Double.toString(r.scores().accuracy()));
        r.scores().more().forEach((k, v) -> m.put("more." + k, Double.toString(v)));
        m.put("train_seconds", Double.toString(r.trainSeconds()));
        m.put("eval_seconds", Double.toString(r.evalSeconds()));
        writeProperties(file, m);
    }

    static Trial.Result readResult(Path file) throws IOException {
        Properties p = readProperties(file);
        try {
            Map<String, Double> more = new TreeMap<>();
            for (String k : p.stringPropertyNames()) if (k.startsWith("more.")) more.put(k.substring(5), Double.parseDouble(p.getProperty(k)));
            ModelKind.Scores s = new ModelKind.Scores(Long.parseLong(p.getProperty("frames")), Double.parseDouble(p.getProperty("ll")),
                    Double.parseDouble(p.getProperty("ll_stderr")), Double.parseDouble(p.getProperty("acc")), more);
            return new Trial.Result(p.getProperty("id"), s, Double.parseDouble(p.getProperty("train_seconds")),
                    Double.parseDouble(p.getProperty("eval_seconds")));
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a trial result (" + e + "); delete it to run that trial again", e);
        }
    }

    static Properties readProperties(Path file) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        return p;
    }

    /** key=value lines in key order, written atomically. */
    static void writeProperties(Path file, Map<String, String> m) throws IOException {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(m).forEach((k, v) -> b.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        atomic(file, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Writes to a temporary file beside {@code file} and renames it over {@code file}. */
    static void atomic(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---------------------------------------------------------------- the table

    /** TABLE.md, results.json and table.png of the rows done so far. */
    static void write(Reproduction.Plan p, List<RowResult> rows) throws IOException {
        atomic(p.out().resolve(TABLE), markdown(p, rows).getBytes(StandardCharsets.UTF_8));
        atomic(p.out().resolve(JSON), json(p, rows).getBytes(StandardCharsets.UTF_8));
        List<String> labels = new ArrayList<>();
        double[][] ll = new double[2][rows.size()], acc = new double[2][rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            RowResult r = rows.get(i);
            labels.add(r.row().label());
            double[] paper = paper(p, r.row());
            ll[0][i] = r.test().logLikelihood();
            ll[1][i] = paper[0];
            acc[0][i] = 100 * r.test().accuracy();
            acc[1][i] = paper[1];
        }
        Path tmp = p.out().resolve("." + PNG + ".tmp.png");
        TableImage.write(title(p), labels, ll, acc, tmp);
        Files.move(tmp, p.out().resolve(PNG), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The paper's {LL, ACC %} for this row on this data set; NaN where it gives none or the data are not the paper's. */
    static double[] paper(Reproduction.Plan p, Recipes.Row row) {
        double[] f = p.paper() == null ? null : p.paper().figures().get(row.id());
        return f == null ? new double[] {Double.NaN, Double.NaN} : f;
    }

    private static String title(Reproduction.Plan p) {
        return "Table 1 on " + (p.paper() == null ? p.data().getFileName().toString() : p.paper().name()) + ", budget " + p.budget().name();
    }

    private static String markdown(Reproduction.Plan p, List<RowResult> rows) {
        StringBuilder b = new StringBuilder("# ").append(title(p)).append("\n\n");
        Dataset d = p.dataset();
        b.append(String.format(Locale.ROOT, "Data: `%s` (SHA-256 %s), %s; %d / %d / %d sequences, %,d / %,d / %,d frames (train / valid / test). "
                        + "Recipes version %d; budget %s.%n%n", p.data().getFileName(), p.sha256(),
                p.paper() == null ? "not one of the paper's data sets (no paper figures beside ours)" : "recognised as the paper's " + p.paper().name(),
                d.train().size(), d.valid().size(), d.test().size(), frames(d.train()), frames(d.valid()), frames(d.test()),
                p.recipes().version(), p.budget().name()));
        b.append("| model | log-likelihood | ACC % | paper: LL | paper: ACC % | chosen on validation |\n");
        b.append("| --- | ---: | ---: | ---: | ---: | --- |\n");
        for (RowResult r : rows) {
            double[] f = paper(p, r.row());
            b.append("| ").append(r.row().label()).append(" | ").append(ll(r.test(), " ± ")).append(" | ").append(acc(r.test(), " ± "))
                    .append(" | ").append(number(f[0], "%.2f")).append(" | ").append(number(f[1], "%.2f")).append(" | ")
                    .append(r.chosen().label().isEmpty() ? "" : "`" + r.chosen().label() + "`").append(" |\n");
        }
        b.append("""

                - **LL**: mean log P(v(t) | v(<t)) in nats over all test frames as one flat list, ± its standard error over \
                frames; exact for models with independent notes, by AIS for the RBM-based ones (the budget's AIS, base rate \
                from the training data).
                - **ACC**: for each test time step, the expected TP / (TP + FP + FN) of a frame drawn from the model given \
                the true history (an empty frame for an empty one counts 1), then the mean over all time steps, ± its \
                standard error over time steps; exact for independent notes, over the AIS runs' importance-weighted end \
                states for the RBM-based models (the Gibbs chains' figure is under "Secondary accuracies").
                - **Paper**: Table 1 of Boulanger-Lewandowski, Bengio and Vincent (ICML 2012), for a data set recognised by \
                its SHA-256; blank where the recipes hold no figure. Not reproduced: the rows that need Hessian-free \
                optimisation (RNN (HF), RNN-RBM (HF), RNN-NADE (HF)).
                """);
        List<RowResult> checked = rows.stream().filter(r -> r.check() != null).toList();
        if (!checked.isEmpty()) {
            b.append("\n## AIS: the budget's against the paper's protocol\n\nOn the first ").append(p.budget().checkFrames())
                    .append(" test frames; the paper's protocol: 100 runs x 14,500 temperatures.\n\n");
            b.append("| model | budget's AIS | paper's protocol | difference |\n| --- | ---: | ---: | ---: |\n");
            for (RowResult r : checked) {
                double gap = r.check().budget().logLikelihood() - r.check().paper().logLikelihood();
                b.append(String.format(Locale.ROOT, "| %s | %s | %s | %+.4f |%n", r.row().label(), ll(r.check().budget(), " ± "),
                        ll(r.check().paper(), " ± "), gap));
            }
        }
        b.append("\n## Secondary accuracies (%)\n\n| model | figures |\n| --- | --- |\n");
        for (RowResult r : rows) {
            List<String> f = new ArrayList<>();
            new TreeMap<>(r.test().more()).forEach((k, v) -> {
                if (k.startsWith("acc") && !k.equals(ModelKind.ACC_STDERR)) f.add(k + " " + number(100 * v, "%.2f"));
            });
            b.append("| ").append(r.row().label()).append(" | ").append(String.join(", ", f)).append(" |\n");
        }
        b.append("\n## Candidates on the validation split\n\n| model | candidate | log-likelihood | ACC % |\n| --- | --- | ---: | ---: |\n");
        for (RowResult r : rows) {
            int i = 0;
            for (Trial.Result v : r.valid().values()) {
                Candidate c = r.candidates().get(i++);
                b.append("| ").append(r.row().label()).append(" | `").append(c.label()).append("`").append(c == r.chosen() ? " (chosen)" : "")
                        .append(" | ").append(ll(v.scores(), " ± ")).append(" | ").append(acc(v.scores(), " ± ")).append(" |\n");
            }
        }
        b.append("\n").append(TIME_HEADING).append("\n\nWall-clock seconds of each row's trials, as last run (a trial resumed after a stop "
                + "counts from its resume); not part of the figures.\n\n| model | train | evaluate | total |\n| --- | ---: | ---: | ---: |\n");
        for (RowResult r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f |%n", r.row().label(), r.seconds()[0], r.seconds()[1],
                    r.seconds()[0] + r.seconds()[1]));
        }
        return b.toString();
    }

    private static String json(Reproduction.Plan p, List<RowResult> rows) {
        Json j = new Json();
        j.open('{').key("recipes_version").num(p.recipes().version()).key("budget").str(p.budget().name());
        j.key("data").open('{').key("path").str(p.data().toAbsolutePath().normalize().toString()).key("sha256").str(p.sha256())
                .key("recognised").str(p.paper() == null ? null : p.paper().name()).close('}');
        j.key("rows").open('[');
        for (RowResult r : rows) {
            double[] f = paper(p, r.row());
            j.open('{').key("row").str(r.row().id()).key("label").str(r.row().label()).key("model").str(r.row().model())
                    .key("options").str(String.join(" ", r.chosen().options())).key("epochs").num(r.chosen().epochs())
                    .key("chosen").str(r.chosen().label());
            j.key("test");
            scores(j, r.test());
            j.key("paper").open('{').key("ll").num(f[0]).key("acc").num(f[1] / 100).close('}');
            j.key("candidates").open('[');
            int i = 0;
            for (Trial.Result v : r.valid().values()) {
                j.open('{').key("candidate").str(r.candidates().get(i++).label()).key("valid");
                scores(j, v.scores());
                j.close('}');
            }
            j.close(']');
            if (r.check() != null) {
                j.key("ais_check").open('{').key("frames").num(p.budget().checkFrames()).key("budget");
                scores(j, r.check().budget());
                j.key("paper");
                scores(j, r.check().paper());
                j.close('}');
            }
            j.close('}');
        }
        j.close(']');
        j.key("timings").open('{');
        for (RowResult r : rows) {
            j.key(r.row().id()).open('{').key("train_seconds").num(r.seconds()[0]).key("eval_seconds").num(r.seconds()[1]).close('}');
        }
        return j.close('}').close('}').toString() + "\n";
    }

    private static void scores(Json j, ModelKind.Scores s) {
        j.open('{').key("frames").num(s.frames()).key("ll").num(s.logLikelihood()).key("ll_stderr").num(s.stdErr()).key("acc").num(s.accuracy());
        new TreeMap<>(s.more()).forEach((k, v) -> j.key(k).num(v));
        j.close('}');
    }

    private static String number(double x, String format) {
        return Double.isNaN(x) ? "" : String.format(Locale.ROOT, format, x);
    }

    private static long frames(List<PianoRoll> rolls) {
        return rolls.stream().mapToLong(PianoRoll::frames).sum();
    }

    /** Just enough JSON writing: objects, arrays, strings, numbers (NaN as null), commas where they belong. */
    private static final class Json {
        private final StringBuilder b = new StringBuilder();
        private boolean first = true;

        Json open(char c) {
            comma();
            b.append(c);
            first = true;
            return this;
        }

        Json close(char c) {
            b.append(c);
            first = false;
            return this;
        }

        Json key(String k) {
            comma();
            quote(k);
            b.append(':');
            first = true;
            return this;
        }

        Json str(String s) {
            comma();
            if (s == null) b.append("null");
            else quote(s);
            return this;
        }

        Json num(double x) {
            comma();
            b.append(Double.isFinite(x) ? (x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x)) : "null");
            return this;
        }

        private void comma() {
            if (!first) b.append(',');
            first = false;
        }

        private void quote(String s) {
            b.append('"');
            for (char c : s.toCharArray()) {
                if (c == '"' || c == '\\') b.append('\\').append(c);
                else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
            b.append('"');
        }

        @Override public String toString() {
            return b.toString();
        }
    }
}
