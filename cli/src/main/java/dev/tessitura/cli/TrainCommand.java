package dev.tessitura.cli;

import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Position;
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
import dev.tessitura.model.melody.MelodyModel;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
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
            usage: tessitura train --model rnn-rbm|lstm-rbm|lstm|melody-lstm --data <pickle|mat|midi folder> --out <run dir> [options]
              --epochs N            epochs to train (default 20); with --resume, the total to reach
              --resume              continue the run in --out from its checkpoint (exactly as if never stopped)
              --backend NAME        auto (default), scalar, simd, cuda
              --seed S              initial weights, shuffling and sampling (default 1)
              --patience N          stop when the validation cost has not improved for N epochs (default 0: never)
              --max-sequences N     train on the first N training sequences only (quick runs)
            RNN-RBM (--model rnn-rbm; defaults of the paper's tutorial):
              --hidden 150 --recurrent 100 --k 15 --chunk 100   sizes, CD-k steps, frames per chunk
              --batch 1             chunks per update (default 1, the paper's); B > 1 trains B chunks of the same
                                    length together (one chain over all their frames, the mean gradient): B times
                                    fewer, larger updates, for the GPU
              --lr 0.001 (both parts) or --lr-rbm R --lr-rnn R   --lr-decay 1 (per epoch)
              --optimizer sgd|nesterov|momentum (default sgd) --momentum 0.9   --clip-norm 0 (off)
              --learn-u0            learn u(0) instead of fixing it at 0    --pretrain N  RBM pretraining epochs
              --pretrain-rnn N      first train the RNN part alone as a next-frame predictor (W = 0, cross-entropy),
              --pretrain-rnn-lr 0.001  N epochs of Adam at this rate; the RNN-RBM then starts from that RNN
              --monitor-ll N        validation monitor (best.safetensors, --patience): a rough AIS log-likelihood
                                    (10 runs x 300 temperatures) on every N-th validation sequence, instead of the
                                    expected ACC (default 0: ACC, cheap, but it does not track the log-likelihood).
                                    300 temperatures grow optimistic as W grows: confirm with evaluate --ais-steps 3000+
            LSTM-RBM (--model lstm-rbm): the RNN-RBM's options, with an LSTM stack as the recurrence (u(0) = 0)
              --layers 100          LSTM units per layer (the last is u(t)'s size; replaces --recurrent)
            LSTM (--model lstm; defaults after Ip's RNN4Music):
              --layers 120,120,120  units per layer
              --batch 32 --steps 100  minibatch of B sequences x L time steps
              --batching chunks|packed|tile  chunks: consecutive chunks, masked, state carried (default); packed:
                                    the same, with several tunes one after another in each row (less padding);
                                    tile: one window per tune, short tunes repeated, long ones truncated
              --optimizer sgd|momentum|rmsprop|adam (default sgd)   --lr 0.1 (or one per layer + read-out: 0.1,0.1,0.1,0.05)
              --momentum 0.9  --clip 30 (element-wise gradient clipping)  --init-std 0.1
              --forget-bias 0       initial bias of the forget gates (Gers et al. 2000 suggest 1)
              --skip                the input fed to every layer and every layer to the read-out (Graves 2013):
                                    a deep stack learns at once instead of sitting on the notes' marginals
            melody LSTM (--model melody-lstm; Magenta's basic_rnn; --data is a folder of MIDI files):
              --layers 128,128 --batch 64 --steps 128 --lr 0.001 (Adam) --clip-norm 5
            """;

    private static final String CHECKPOINT = "checkpoint.safetensors", BEST = "best.safetensors";
    private static final String METRICS = "metrics.csv", CURVE = "curve.png";
    private static final String CSV_HEADER = "epoch,train_cost,valid_cost,valid_acc,frames_per_s,seconds";

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
                "max-sequences", "layers", "batch", "steps", "batching", "optimizer", "lr", "momentum", "clip", "init-std", "forget-bias",
                "hidden", "recurrent", "k", "chunk", "lr-rbm", "lr-rnn", "lr-decay", "clip-norm", "pretrain",
                "pretrain-rnn", "pretrain-rnn-lr", "monitor-ll"),
                Set.of("resume", "learn-u0", "skip"));
        a.maxPositionals(0);
        String kind = a.string("model", null);
        if (kind == null) throw new UsageError("missing --model");
        if (!Set.of(LstmTrainer.KIND, RnnRbmTrainer.KIND, RnnRbmTrainer.KIND_LSTM, MelodyModel.KIND).contains(kind)) {
            throw new UsageError("unknown --model '" + kind + "' (rnn-rbm, lstm-rbm, lstm, melody-lstm)");
        }
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

        try (Backend be = Backends.create(a.string("backend", "auto"), BackendOptions.fromSystemProperties())) {
            SafeTensors.Contents saved = resume ? SafeTensors.read(ckpt) : null;
            if (saved != null && !kind.equals(saved.metadata().get("kind"))) {
                throw new IllegalArgumentException(ckpt + " holds a " + saved.metadata().get("kind") + " model, not " + kind);
            }
            Trainee trainee = trainee(kind, a, data, maxSeq, be, saved, out);
            Position at = saved == null ? Position.start(0) : Position.fromMetadata(saved.metadata());
            if (saved != null) out.printf("resuming %s at epoch %d, update %d%n", dir, at.epoch() + 1, at.index());
            out.println("model: " + trainee.describe() + "; " + be.description());
            Map<String, String> about = new LinkedHashMap<>();
            about.put("data", data.toAbsolutePath().normalize().toString());
            about.put("backend", be.description());
            Metrics metrics = Metrics.read(dir.resolve(METRICS), at.epoch());
            int sinceBest = 0;
            try (StopSignal stop = new StopSignal()) {
                while (at.epoch() < epochs) {
                    int epoch = at.epoch();
                    Progress bar = new Progress(err, String.format("epoch %d/%d", epoch + 1, epochs), trainee.framesPerEpoch());
                    long t0 = System.nanoTime();
                    EpochResult r = trainee.trainEpoch(at, stop::requested, bar::advance);
                    double rate = bar.finish();
                    if (!r.completed()) {
                        trainee.save(ckpt, r.next(), about);
                        out.printf("stopped in epoch %d; saved %s; continue with --resume%n", epoch + 1, ckpt);
                        out.flush();
                        stop.saved();   // last: the JVM may halt as soon as the shutdown hook is released
                        return 130;
                    }
                    double[] v = trainee.validate(epoch);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    metrics.add(epoch + 1, r.meanCost(), v[0], v[1], rate, seconds);
                    metrics.write(dir.resolve(METRICS), dir.resolve(CURVE), kind + ": " + trainee.costName());
                    at = r.next();
                    trainee.save(ckpt, at, about);
                    boolean best = metrics.isBestValid();
                    if (best) trainee.save(dir.resolve(BEST), at, about);
                    out.printf(Locale.ROOT, "epoch %d: train cost %.4f%s  %,.0f frames/s  %.1f s%s%n", epoch + 1, r.meanCost(),
                            Double.isNaN(v[0]) ? "" : String.format(Locale.ROOT, "  valid cost %.4f  ACC %.2f%%", v[0], 100 * v[1]),
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

    /** The model to train, new from the options or restored from a checkpoint, with its data. */
    private static Trainee trainee(String kind, Args a, Path data, int maxSeq, Backend be, SafeTensors.Contents saved,
                                   PrintStream out) throws IOException {
        if (kind.equals(MelodyModel.KIND)) {
            if (!Files.isDirectory(data)) throw new IllegalArgumentException("--model melody-lstm reads a folder of MIDI files, not " + data);
            List<int[]> train = Trainee.melodies(data, "train"), valid = Trainee.melodies(data, "valid");
            if (maxSeq > 0) train = train.subList(0, Math.min(maxSeq, train.size()));
            if (train.isEmpty()) throw new IllegalArgumentException(data + ": no melodies of at least 7 bars found");
            out.printf("data: %s: %d training melodies (%,d events), %d validation%n", data, train.size(),
                    MelodyModel.eventsPerEpoch(train), valid.size());
            MelodyModel m = saved != null ? MelodyModel.load(be, saved) : new MelodyModel(be, melodyConfig(a));
            return Trainee.melody(m, train, valid);
        }
        Dataset d = DatasetLoader.load(data);
        List<PianoRoll> train = maxSeq > 0 ? d.train().subList(0, Math.min(maxSeq, d.train().size())) : d.train();
        if (train.isEmpty()) throw new IllegalArgumentException(data + " has no training sequences");
        int notes = train.get(0).noteCount();
        long frames = train.stream().mapToLong(PianoRoll::frames).sum();
        out.printf("data: %s: %d training sequences (%,d frames), %d validation%n", data, train.size(), frames, d.valid().size());
        if (kind.equals(LstmTrainer.KIND)) {
            LstmTrainer t = saved != null ? LstmTrainer.load(be, saved) : new LstmTrainer(be, lstmConfig(a), notes);
            return Trainee.lstm(t, train, d.valid());
        }
        RnnRbmTrainer t = saved != null ? RnnRbmTrainer.load(be, saved) : new RnnRbmTrainer(be, rnnRbmConfig(a, kind), notes);
        if (saved == null && t.config().pretrainEpochs() > 0) {
            Progress bar = new Progress(System.err, "RBM pretraining", (long) t.config().pretrainEpochs() * frames);
            double recon = t.pretrain(train, t.config().pretrainEpochs(), bar::advance);
            bar.finish();
            out.printf(Locale.ROOT, "RBM pretraining: %d epochs, reconstruction cost %.4f%n", t.config().pretrainEpochs(), recon);
        }
        for (int e = 0; saved == null && e < t.config().pretrainRnnEpochs(); e++) {
            Progress bar = new Progress(System.err, "RNN pretraining " + (e + 1) + "/" + t.config().pretrainRnnEpochs(), frames);
            double cost = t.pretrainRnnEpoch(train, e, bar::advance);
            bar.finish();
            out.printf(Locale.ROOT, "RNN pretraining epoch %d: cross-entropy per frame %.4f train, %.4f valid%n", e + 1, cost,
                    d.valid().isEmpty() ? Double.NaN : t.predictorCost(d.valid()));
        }
        int llEvery = a.integer("monitor-ll", 0);
        if (llEvery < 0) throw new UsageError("--monitor-ll must be >= 0");
        return Trainee.rnnRbm(t, train, d.valid(), llEvery);
    }

    /** The RNN-RBM's configuration, or the LSTM-RBM's (kind lstm-rbm: --layers instead of --recurrent). */
    static RnnRbmTrainer.Config rnnRbmConfig(Args a, String kind) {
        RnnRbmTrainer.Config d = RnnRbmTrainer.Config.defaults();
        boolean lstm = kind.equals(RnnRbmTrainer.KIND_LSTM);
        if (lstm && a.string("recurrent", null) != null) throw new UsageError("lstm-rbm: the size of u(t) is the last of --layers, not --recurrent");
        if (!lstm && a.string("layers", null) != null) throw new UsageError("rnn-rbm: --layers is for lstm-rbm; the recurrent size is --recurrent");
        int[] layers = lstm ? ints(a.string("layers", Integer.toString(d.nu()))) : new int[0];
        try {
            float lr = (float) a.number("lr", d.lrRbm());
            return new RnnRbmTrainer.Config(a.integer("hidden", d.nh()), lstm ? layers[layers.length - 1] : a.integer("recurrent", d.nu()), a.integer("k", d.k()),
                    a.integer("chunk", d.chunk()), Optimizer.Kind.parse(a.string("optimizer", "sgd")),
                    (float) a.number("lr-rbm", lr), (float) a.number("lr-rnn", lr), (float) a.number("momentum", d.momentum()),
                    (float) a.number("clip-norm", d.clipNorm()), (float) a.number("lr-decay", d.lrDecay()), a.flag("learn-u0"),
                    a.integer("pretrain", 0), a.integer("seed", 1), layers, a.integer("pretrain-rnn", 0),
                    (float) a.number("pretrain-rnn-lr", d.pretrainRnnLr())).withBatch(a.integer("batch", 1));
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
    }

    static MelodyModel.Config melodyConfig(Args a) {
        MelodyModel.Config d = MelodyModel.Config.defaults();
        try {
            return new MelodyModel.Config(ints(a.string("layers", join(d.hidden()))), a.integer("batch", d.batch()),
                    a.integer("steps", d.steps()), (float) a.number("lr", d.lr()), (float) a.number("clip-norm", d.clipNorm()),
                    a.number("init-std", d.initStd()), a.integer("seed", 1));
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
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
                    (float) a.number("clip", d.clip()), a.number("init-std", d.initStd()),
                    (float) a.number("forget-bias", d.forgetBias()), a.flag("skip"), a.integer("seed", 1));
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

        /**
         * True when the last epoch has the lowest validation cost so far (the training cost where there is no
         * validation split).
         */
        boolean isBestValid() {
            int col = Double.isNaN(rows.get(rows.size() - 1)[2]) ? 1 : 2;
            double last = rows.get(rows.size() - 1)[col];
            for (int i = 0; i < rows.size() - 1; i++) if (!(last < rows.get(i)[col])) return false;
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
