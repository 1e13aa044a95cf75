package dev.tessitura.model.mlp;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.IndependentNotes;
import dev.tessitura.model.Init;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Shuffle;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The paper's MLP row (mlp): each frame's notes predicted, independently, by a one-hidden-layer network from the
 * window of frames before it ({@link Mlp}). Trained with Adam on minibatches of frames in a Philox shuffle; the state
 * (weights, Adam's moments) is float32 and the arithmetic float64, so a checkpoint holds it exactly and a resumed
 * run continues bit for bit.
 *
 * @param window frames before t that predict frame t
 * @param hidden tanh units
 * @param lr     Adam's learning rate
 * @param batch  frames per update
 */
public final class MlpKind implements ModelKind<MlpKind.Config> {
    public static final MlpKind MLP = new MlpKind();
    private static final double B1 = 0.9, B2 = 0.999, EPS = 1e-8, INIT_STD = 0.05;

    public record Config(int window, int hidden, float lr, int batch, long seed) {
        public Config {
            if (window < 1 || hidden < 1 || batch < 1) throw new IllegalArgumentException("mlp: --window, --hidden and --batch must be >= 1");
            if (!(lr > 0)) throw new IllegalArgumentException("mlp: --lr must be > 0, got " + lr);
        }
    }

    private static final Settings<Config> SETTINGS = Settings.of(new Config(4, 150, 0.001f, 100, 1))
            .integer("window", "--window", "W", "frames before t that predict frame t", Config::window,
                    (c, v) -> new Config(v, c.hidden(), c.lr(), c.batch(), c.seed()))
            .integer("hidden", "--hidden", "N", "tanh units", Config::hidden, (c, v) -> new Config(c.window(), v, c.lr(), c.batch(), c.seed()))
            .floating("lr", "--lr", "R", "Adam's learning rate", Config::lr, (c, v) -> new Config(c.window(), c.hidden(), v, c.batch(), c.seed()))
            .integer("batch", "--batch", "B", "frames per update", Config::batch, (c, v) -> new Config(c.window(), c.hidden(), c.lr(), v, c.seed()))
            .longInt("seed", "--seed", "S", "initial weights and shuffling", Config::seed,
                    (c, v) -> new Config(c.window(), c.hidden(), c.lr(), c.batch(), v))
            .build();

    private MlpKind() {}

    @Override public String name() { return "mlp"; }

    @Override public String summary() { return "a one-hidden-layer MLP over a window of past frames, independent sigmoid notes (the paper's MLP row)"; }

    @Override public Settings<Config> settings() { return SETTINGS; }

    @Override public Trainer trainer(Backend be, Config c, Path data, int maxSequences, Report report) throws IOException {
        return new Training(be, c, Rolls.training(data, maxSequences, report), null);
    }

    @Override public Trainer resume(Backend be, SafeTensors.Contents saved, Config c, Path data, int maxSequences, Report report)
            throws IOException {
        return new Training(be, c, Rolls.training(data, maxSequences, report), saved);
    }

    /** The state: float32 weights and Adam moments, and Adam's step count. */
    private static final class State {
        final Mlp net;
        final float[] p, m, v;
        int steps;

        State(Backend be, Config c, int n, long seed) {
            net = new Mlp(c.window(), n, c.hidden());
            int size = Math.toIntExact(net.size());
            p = new float[size];
            m = new float[size];
            v = new float[size];
            Tensor t = be.zeros(size);
            Init.normal(be, t, INIT_STD, seed);                       // the same first numbers on every backend
            be.copyToHost(p, 0, t);
            java.util.Arrays.fill(p, net.b1(), net.w2(), 0f);
            java.util.Arrays.fill(p, net.b2(), size, 0f);
        }

        State(Config c, SafeTensors.Contents saved) {
            net = new Mlp(c.window(), Checkpoints.integer(saved, "notes"), c.hidden());
            p = tensor(saved, "params", net.size());
            m = tensor(saved, "opt.0", net.size());
            v = tensor(saved, "opt.1", net.size());
            steps = Checkpoints.integer(saved, "optimizer_steps");
        }

        double[] weights() {
            double[] d = new double[p.length];
            for (int i = 0; i < p.length; i++) d[i] = p[i];
            return d;
        }

        /** One Adam step from the gradient g (float64 arithmetic, float32 state). */
        void adam(double[] g, float lr) {
            steps++;
            double c1 = 1 - Math.pow(B1, steps), c2 = 1 - Math.pow(B2, steps);
            for (int i = 0; i < p.length; i++) {
                double mi = B1 * m[i] + (1 - B1) * g[i], vi = B2 * v[i] + (1 - B2) * g[i] * g[i];
                m[i] = (float) mi;
                v[i] = (float) vi;
                p[i] = (float) (p[i] - lr * (mi / c1) / (Math.sqrt(vi / c2) + EPS));
            }
        }

        void save(Path file, Map<String, String> meta) throws IOException {
            meta.put("notes", Integer.toString(net.n));
            meta.put("optimizer_steps", Integer.toString(steps));
            Map<String, SafeTensors.F32> t = new LinkedHashMap<>();
            t.put("params", new SafeTensors.F32(new int[] {p.length}, p));
            t.put("opt.0", new SafeTensors.F32(new int[] {m.length}, m));
            t.put("opt.1", new SafeTensors.F32(new int[] {v.length}, v));
            SafeTensors.write(file, meta, t);
        }
    }

    private static float[] tensor(SafeTensors.Contents c, String name, long size) {
        SafeTensors.F32 t = c.tensors().get(name);
        if (t == null || t.data().length != size) throw new IllegalArgumentException("checkpoint: tensor " + name + " missing or not of " + size + " values");
        for (float x : t.data()) if (!Float.isFinite(x)) throw new IllegalArgumentException("checkpoint tensor " + name + " holds NaN or infinite values");
        return t.data().clone();
    }

    /** The exact figures of the MLP's predictions over every frame of the rolls; null when stop asked first. */
    static IndependentNotes.Result measure(Mlp net, double[] p, List<PianoRoll> rolls, int samples, long seed, BooleanSupplier stop) {
        IndependentNotes scores = new IndependentNotes(net.n, samples, seed, 9);
        double[] h = new double[net.hidden], z = new double[net.n];
        float[] zf = new float[net.n];
        for (PianoRoll r : rolls) {
            if (stop.getAsBoolean()) return null;
            float[] x = r.toFloats();
            for (int t = 0; t < r.frames(); t++) {
                net.forward(p, net.active(x, t), h, z);
                for (int j = 0; j < net.n; j++) zf[j] = (float) z[j];
                scores.addLogits(zf, 0, x, t * net.n);
            }
        }
        return scores.result();
    }

    /** The MLP as a run trains it; validation: the exact -LL per frame and expected accuracy. */
    private static final class Training implements Trainer {
        private final Backend be;
        private final Config c;
        private final Rolls.Training d;
        private final State s;
        private final List<float[]> rolls = new ArrayList<>();
        private final int[][] examples;            // {roll, frame} of every training frame

        Training(Backend be, Config c, Rolls.Training d, SafeTensors.Contents saved) {
            this.be = be;
            this.c = c;
            this.d = d;
            this.s = saved == null ? new State(be, c, d.notes(), c.seed()) : new State(c, saved);
            List<int[]> ex = new ArrayList<>();
            for (int i = 0; i < d.train().size(); i++) {
                rolls.add(d.train().get(i).toFloats());
                for (int t = 0; t < d.train().get(i).frames(); t++) ex.add(new int[] {i, t});
            }
            examples = ex.toArray(int[][]::new);
        }

        @Override public String describe() {
            return String.format(Locale.ROOT, "mlp %d x %d -> %d -> %d, %d parameters", c.window(), d.notes(), c.hidden(), d.notes(), s.p.length);
        }

        @Override public long framesPerEpoch() { return examples.length; }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            int[] order = Shuffle.order(examples.length, c.seed(), 1, (long) from.epoch() << 24);
            int batches = (examples.length + c.batch() - 1) / c.batch(), n = d.notes();
            double sum = from.costSum();
            long done = from.frames();
            for (int i = from.index(); i < batches; i++) {
                if (i > from.index() && stop.getAsBoolean()) return new EpochResult(sum / Math.max(done, 1), new Position(from.epoch(), i, sum, done), false);
                int b0 = i * c.batch(), b = Math.min(c.batch(), examples.length - b0);
                int[][] active = new int[b][];
                float[] y = new float[b * n];
                int[] yOff = new int[b];
                for (int e = 0; e < b; e++) {
                    int[] ex = examples[order[b0 + e]];
                    float[] roll = rolls.get(ex[0]);
                    active[e] = s.net.active(roll, ex[1]);
                    System.arraycopy(roll, ex[1] * n, y, e * n, n);
                    yOff[e] = e * n;
                }
                double[] g = new double[s.p.length];
                double cost = s.net.costAndGradient(s.weights(), g, active, y, yOff, 1.0 / b);
                double norm2 = 0;
                for (double x : g) norm2 += x * x;
                DivergedException.check("mlp", cost / b, norm2, "update " + i, "try a smaller learning rate");
                s.adam(g, c.lr());
                sum += cost;
                done += b;
                if (progress != null) progress.accept(b);
            }
            return EpochResult.completed(from.epoch(), batches, sum, done);
        }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            IndependentNotes.Result r = measure(s.net, s.weights(), d.valid(), 0, 0, stop);
            return r == null ? null : new Validation(-r.logLikelihood(), r.accuracy());
        }

        @Override public Tensor parameters() { return be.of(s.p, s.p.length); }

        @Override public String costName() { return "cross-entropy per frame"; }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException {
            s.save(file, Checkpoints.header(about, MLP.name(), SETTINGS, c, at));
        }
    }

    @Override public Sampling<NoSettings> sampling() {
        return new Sampling<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, NoSettings o, Request r, Report report) throws IOException {
                State s = new State(config(c), c);
                int n = s.net.n;
                PianoRoll primer = Rolls.primer(r.prime(), n);
                int first = primer == null ? 0 : primer.frames(), total = first + r.steps();
                float[] x = java.util.Arrays.copyOf(primer == null ? new float[0] : primer.toFloats(), total * n), u = new float[n];
                float[] probabilities = new float[total * n];
                double[] p = s.weights(), h = new double[s.net.hidden], z = new double[n];
                Report.Phase bar = report.phase("generating", r.steps());
                for (int t = first; t < total; t++) {
                    s.net.forward(p, s.net.active(x, t), h, z);
                    Philox.uniforms(r.seed(), 2, (long) t * ((n + 3) / 4), u, 0, n);
                    for (int j = 0; j < n; j++) {
                        double q = 1 / (1 + Math.exp(-z[j]));
                        probabilities[t * n + j] = (float) q;
                        x[t * n + j] = u[j] < q ? 1f : 0f;
                    }
                    bar.advance(1);
                }
                bar.finish();
                PianoRoll roll = PianoRoll.fromFloats(x, total, PianoRoll.DEFAULT_LOWEST, n);
                return Rolls.writePiece(roll, probabilities, name() + ", " + first + " primer frame(s) + " + r.steps() + " generated", r.song());
            }
        };
    }

    @Override public Evaluating<IndependentNotes.Options> evaluating() {
        return IndependentNotes.evaluating((be, c, rolls, o) -> {
            State s = new State(config(c), c);
            return measure(s.net, s.weights(), rolls, o.samples(), o.seed(), () -> false);
        });
    }
}
