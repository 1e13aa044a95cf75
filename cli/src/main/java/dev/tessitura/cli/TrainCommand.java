package dev.tessitura.cli;

import dev.tessitura.cli.DatasetCommand.UsageError;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.TrainingCurveImage;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.lstm.LstmTrainer;
import dev.tessitura.model.lstm.Minibatches;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code tessitura train}: trains a model on a data set into a run directory holding
 * <ul>
 *   <li>{@code checkpoint.safetensors}: the latest state, written atomically after every epoch and on Ctrl-C;</li>
 *   <li>{@code best.safetensors}: the state with the best validation cost so far;</li>
 *   <li>{@code metrics.csv} and {@code curve.png}: the cost per epoch on the training and validation splits.</li>
 * </ul>
 * A NaN or an infinity stops training with a message; the last checkpoint, written after the last good epoch, stays.
 */
final class TrainCommand {
    static final String USAGE = """
            usage: tessitura train --model lstm --data <pickle|mat|midi folder> --out <run dir> [options]
              --epochs N            epochs to train (default 20); with --resume, the total to reach
              --resume              continue the run in --out from its checkpoint (exactly as if never stopped)
              --backend NAME        auto (default), scalar, simd, cuda
              --seed S              initial weights, shuffling and sampling (default 1)
              --patience N          stop when the validation cost has not improved for N epochs (default 0: never)
              --max-sequences N     train on the first N training sequences only (quick runs)
            LSTM (--model lstm, issue 5; defaults after Ip's RNN4Music):
              --layers 120,120,120  units per layer
              --batch 32 --steps 100  minibatch of B sequences x L time steps
              --batching chunks|tile  chunks: consecutive chunks, masked, state carried (default); tile: one window
                                    per tune, short tunes repeated, long ones truncated
              --optimizer sgd|momentum|rmsprop|adam (default sgd)   --lr 0.1 (or one per layer + read-out: 0.1,0.1,0.1,0.05)
              --momentum 0.9  --clip 30 (element-wise gradient clipping)  --init-std 0.1
            """;

    private static final String CHECKPOINT = "checkpoint.safetensors", BEST = "best.safetensors";
    private static final String METRICS = "metrics.csv", CURVE = "curve.png";
    private static final String CSV_HEADER = "epoch,train_cost,valid_nll,valid_acc,frames_per_s,seconds";

    private TrainCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && Set.of("help", "--help", "-h").contains(args[0])) {
            out.print(USAGE);
            return 0;
        }
        try {
            return train(args, out, err);
        } catch (UsageError e) {
            err.println("tessitura train: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (DivergedException e) {
            err.println("tessitura train: training diverged: " + e.getMessage());
            err.println("tessitura train: the last good checkpoint is kept");
            return 1;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("tessitura train: " + DatasetCommand.failure(e));
            return 1;
        }
    }

    private static int train(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = DatasetCommand.parse(argv, Set.of("model", "data", "out", "epochs", "backend", "seed", "patience",
                "max-sequences", "layers", "batch", "steps", "batching", "optimizer", "lr", "momentum", "clip", "init-std"),
                Set.of("resume"));
        a.maxPositionals(0);
        String kind = a.string("model", null);
        if (kind == null) throw new UsageError("missing --model");
        if (!kind.equals("lstm")) throw new UsageError("unknown --model '" + kind + "' (lstm)");
        Path data = a.path("data"), dir = a.path("out");
        if (data == null) throw new UsageError("missing --data");
        if (dir == null) throw new UsageError("missing --out");
        DatasetCommand.mustExist(data);
        int epochs = a.integer("epochs", 20), patience = a.integer("patience", 0), maxSeq = a.integer("max-sequences", 0);
        boolean resume = a.flag("resume");
        Path ckpt = dir.resolve(CHECKPOINT);
        if (Files.exists(ckpt) && !resume) {
            throw new IllegalArgumentException(dir + " already holds a run: pass --resume to continue it, or choose another --out");
        }
        if (resume && !Files.exists(ckpt)) throw new IllegalArgumentException("--resume: no " + ckpt);
        Files.createDirectories(dir);

        Dataset d = DatasetLoader.load(data);
        List<PianoRoll> train = maxSeq > 0 ? d.train().subList(0, Math.min(maxSeq, d.train().size())) : d.train();
        List<PianoRoll> valid = d.valid();
        if (train.isEmpty()) throw new IllegalArgumentException(data + " has no training sequences");
        int notes = train.get(0).noteCount();

        try (Backend be = Backends.create(a.string("backend", "auto"), BackendOptions.fromSystemProperties())) {
            LstmTrainer trainer;
            LstmTrainer.Position at;
            Map<String, String> about = new LinkedHashMap<>();
            about.put("data", data.toAbsolutePath().normalize().toString());
            about.put("backend", be.description());
            if (resume) {
                SafeTensors.Contents c = SafeTensors.read(ckpt);
                trainer = LstmTrainer.load(be, c);
                at = LstmTrainer.position(c);
                out.printf("resuming %s at epoch %d, minibatch %d%n", dir, at.epoch() + 1, at.batch());
            } else {
                trainer = new LstmTrainer(be, lstmConfig(a), notes);
                at = LstmTrainer.Position.start(0);
            }
            out.println("model: lstm " + join(trainer.config().hidden()) + ", " + trainer.model.params.size()
                    + " parameters; " + be.description());
            out.printf("data: %s: %d training sequences (%,d frames), %d validation%n", data, train.size(),
                    trainer.framesPerEpoch(train), valid.size());
            Metrics metrics = Metrics.read(dir.resolve(METRICS), at.epoch());
            int sinceBest = 0;
            try (StopSignal stop = new StopSignal()) {
                while (at.epoch() < epochs) {
                    int epoch = at.epoch();
                    Progress bar = new Progress(err, String.format("epoch %d/%d", epoch + 1, epochs), trainer.framesPerEpoch(train));
                    long t0 = System.nanoTime();
                    LstmTrainer.EpochResult r = trainer.trainEpoch(train, at, stop::requested, bar::advance);
                    double rate = bar.finish();
                    if (!r.completed()) {
                        trainer.save(ckpt, r.next(), about);
                        stop.saved();
                        out.printf("stopped in epoch %d; saved %s; continue with --resume%n", epoch + 1, ckpt);
                        return 130;
                    }
                    LstmTrainer.Evaluation ev = valid.isEmpty() ? null : trainer.evaluate(valid);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    metrics.add(epoch + 1, r.meanCost(), ev == null ? Double.NaN : ev.nll(), ev == null ? Double.NaN : ev.accThreshold(), rate, seconds);
                    metrics.write(dir.resolve(METRICS), dir.resolve(CURVE), "lstm: cross-entropy per frame");
                    at = r.next();
                    trainer.save(ckpt, at, about);
                    boolean best = ev != null && metrics.isBestValid();
                    if (best) trainer.save(dir.resolve(BEST), at, about);
                    out.printf(Locale.ROOT, "epoch %d: train cost %.4f%s  %,.0f frames/s  %.1f s%s%n", epoch + 1, r.meanCost(),
                            ev == null ? "" : String.format(Locale.ROOT, "  valid NLL %.4f  ACC %.2f%%", ev.nll(), 100 * ev.accThreshold()),
                            rate, seconds, best ? "  (best)" : "");
                    sinceBest = best ? 0 : sinceBest + 1;
                    if (patience > 0 && sinceBest >= patience) {
                        out.printf("early stop: no validation improvement for %d epochs%n", patience);
                        break;
                    }
                }
            }
            out.println("run directory: " + dir + " (" + CHECKPOINT + ", " + BEST + ", " + METRICS + ", " + CURVE + ")");
            return 0;
        }
    }

    static LstmTrainer.Config lstmConfig(Args a) {
        LstmTrainer.Config d = LstmTrainer.Config.defaults();
        try {
            int[] hidden = ints(a.string("layers", join(d.hidden())));
            String[] lrs = a.string("lr", "0.1").split(",");
            float[] lr = new float[lrs.length];
            for (int i = 0; i < lr.length; i++) lr[i] = Float.parseFloat(lrs[i].trim());
            Minibatches.Mode mode = Minibatches.Mode.valueOf(a.string("batching", "chunks").toUpperCase(Locale.ROOT));
            return new LstmTrainer.Config(hidden, mode, a.integer("batch", d.batch()), a.integer("steps", d.steps()),
                    Optimizer.Kind.parse(a.string("optimizer", "sgd")), lr, (float) a.number("momentum", d.momentum()),
                    (float) a.number("clip", d.clip()), a.number("init-std", d.initStd()), a.integer("seed", 1));
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
    }

    private static int[] ints(String s) {
        String[] p = s.split(",");
        int[] v = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            try {
                v[i] = Integer.parseInt(p[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageError("--layers wants sizes like 120,120,120, got '" + s + "'");
            }
            if (v[i] < 1) throw new UsageError("--layers: sizes must be >= 1");
        }
        return v;
    }

    private static String join(int[] a) {
        StringBuilder sb = new StringBuilder();
        for (int x : a) sb.append(sb.isEmpty() ? "" : ",").append(x);
        return sb.toString();
    }

    /** The per-epoch rows of metrics.csv, kept across a resume, and the curve drawn from them. */
    static final class Metrics {
        private final List<double[]> rows = new ArrayList<>();   // epoch, train, valid nll, valid acc, rate, seconds

        /** Reads the rows of epochs 1..epochs from an existing file (none if it is absent). */
        static Metrics read(Path csv, int epochs) throws IOException {
            Metrics m = new Metrics();
            if (!Files.exists(csv)) return m;
            for (String line : Files.readAllLines(csv)) {
                if (line.isBlank() || line.startsWith("epoch")) continue;
                String[] f = line.split(",");
                double[] row = new double[f.length];
                for (int i = 0; i < f.length; i++) row[i] = Double.parseDouble(f[i]);
                if (row[0] <= epochs) m.rows.add(row);
            }
            return m;
        }

        void add(int epoch, double train, double validNll, double validAcc, double rate, double seconds) {
            rows.add(new double[] {epoch, train, validNll, validAcc, rate, seconds});
        }

        /** True when the last epoch has the lowest validation cost so far. */
        boolean isBestValid() {
            double last = rows.get(rows.size() - 1)[2];
            for (int i = 0; i < rows.size() - 1; i++) if (!(last < rows.get(i)[2])) return false;
            return !Double.isNaN(last);
        }

        /** Rewrites the CSV (atomically enough for a log: a temp file renamed) and the curve PNG. */
        void write(Path csv, Path png, String title) throws IOException {
            StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
            double[] train = new double[rows.size()], valid = new double[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                double[] r = rows.get(i);
                sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.1f,%.2f%n", (int) r[0], r[1], r[2], r[3], r[4], r[5]));
                train[i] = r[1];
                valid[i] = r[2];
            }
            Path tmp = csv.resolveSibling(csv.getFileName() + ".tmp");
            Files.writeString(tmp, sb, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(tmp, csv, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            TrainingCurveImage.write(train, valid, title, "cost per frame", png);
        }
    }
}
