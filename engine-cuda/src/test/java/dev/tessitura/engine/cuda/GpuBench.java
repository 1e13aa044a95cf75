package dev.tessitura.engine.cuda;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.lstm.Lstm;
import dev.tessitura.model.lstm.LstmConfig;
import dev.tessitura.model.lstm.LstmTrainer;
import dev.tessitura.model.lstm.Minibatches;
import dev.tessitura.model.rbm.Ais;
import dev.tessitura.model.nade.RnnNadeConfig;
import dev.tessitura.model.nade.RnnNadeTrainer;
import dev.tessitura.model.rnnrbm.RnnRbmConfig;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The GPU benchmarks of issue 6, for GPU machines without a JDK or Maven (JMH is not in the bundle): run by
 * gpu-suite/bench.sh. Every figure is the median of several timed repetitions, each ended by a synchronize, after
 * warm-up, so it is the GPU's time and not the queueing's. Measured: the card's ceilings (a large SGEMM, a device
 * copy), SGEMM at the models' shapes, the persistent recurrence kernels, the fused CD-15 chain, an AIS temperature
 * over many chains, and whole training steps (RNN-RBM one chunk per update and 32 per update; the LSTM 3 x 120,
 * batch 32 x 100), each against its bar. {@code quick} shrinks everything so that the tests can run it on the host
 * emulator (GpuBenchTest), which keeps this runner from rotting between GPU sessions; those figures mean nothing.
 */
public final class GpuBench {
    /** One measurement: what, the median seconds per repetition, the work per repetition and its unit, the bar. */
    record Result(String name, double seconds, double work, String unit, String bar) {
        double rate() { return work / seconds; }

        String line() {
            return String.format(Locale.ROOT, "%-52s %12.1f us  %14.1f %-9s %s", name, seconds * 1e6, rate() / scale(unit), unit, bar);
        }

        private static double scale(String unit) {
            return switch (unit) {
                case "GFLOP/s", "GB/s" -> 1e9;
                default -> 1;
            };
        }
    }

    private final Backend be;
    private final boolean quick;
    private double flopCeiling = Double.NaN;   // FLOP/s of the large SGEMM, measured by ceilings()
    private double copyCeiling = Double.NaN;   // bytes/s (read + write) of a large device-to-device copy
    private final List<Result> results = new ArrayList<>();
    private final PrintStream out;

    GpuBench(Backend be, boolean quick, PrintStream out) {
        this.be = be;
        this.quick = quick;
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        boolean quick = List.of(args).contains("--quick");
        Path tsv = null;
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--tsv")) tsv = Path.of(args[i + 1]);
        CudaProvider provider = new CudaProvider();
        var why = provider.unavailableReason();
        if (why.isPresent()) {
            System.out.println("GPU benchmarks skipped: the cuda backend cannot run here: " + why.get());
            System.exit(2);
        }
        try (Backend be = provider.create(null)) {
            System.out.println(be.description());
            List<Result> rs = new GpuBench(be, quick, System.out).runAll();
            if (tsv != null) write(tsv, be.description(), rs);
        }
    }

    static void write(Path tsv, String device, List<Result> rs) throws IOException {
        StringBuilder b = new StringBuilder("# " + device + "\nname\tseconds\twork\tunit\trate\tbar\n");
        for (Result r : rs) {
            b.append(String.format(Locale.ROOT, "%s\t%.9f\t%.1f\t%s\t%.1f\t%s%n", r.name(), r.seconds(), r.work(), r.unit(), r.rate(), r.bar()));
        }
        Files.writeString(tsv, b);
    }

    interface Body {
        void run();
    }

    /** Median seconds of {@code reps} timed runs of body (each followed by synchronize) after {@code warm} untimed ones. */
    double time(int warm, int reps, Body body) {
        for (int i = 0; i < warm; i++) body.run();
        be.synchronize();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.run();
            be.synchronize();
            t[i] = (System.nanoTime() - t0) * 1e-9;
        }
        java.util.Arrays.sort(t);
        return t[reps / 2];
    }

    /** A kernel's arithmetic rate against the SGEMM ceiling measured first. */
    private String ofCeiling(double flopsPerSecond) {
        return String.format(Locale.ROOT, "%.1f GFLOP/s, %.0f %% of the SGEMM ceiling", flopsPerSecond / 1e9, 100 * flopsPerSecond / flopCeiling);
    }

    private void record(String name, double seconds, double work, String unit, String bar) {
        Result r = new Result(name, seconds, work, unit, bar);
        results.add(r);
        out.println(r.line());
    }

    private int reps() { return quick ? 1 : 20; }
    private int warm() { return quick ? 1 : 5; }

    private Tensor random(int rows, int cols, double scale, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = (float) (scale * (2 * r.nextDouble() - 1));
        return be.of(a, rows, cols);
    }

    private Tensor binary(int rows, int cols, double p, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = r.nextDouble() < p ? 1 : 0;
        return be.of(a, rows, cols);
    }

    List<Result> runAll() {
        ceilings();
        gemms();
        recurrence();
        gibbs();
        ais();
        rnnRbm();
        nade();
        rnnNade();
        lstm();
        return results;
    }

    /** What the card does at best: a large SGEMM (FP32 FLOP/s) and a device-to-device copy (read + write bytes). */
    void ceilings() {
        int n = quick ? 64 : 8192;
        Tensor a = random(n, n, 1, 1), b = random(n, n, 1, 2), c = be.zeros(n, n);
        double s = time(warm(), reps(), () -> be.gemm(c, a, false, b, false, 1f, 0f));
        flopCeiling = 2.0 * n * n * n / s;
        record("ceiling: SGEMM " + n + "^3", s, 2.0 * n * n * n, "GFLOP/s", "");
        int m = quick ? 1 << 12 : 1 << 28;
        Tensor x = be.zeros(m), y = be.zeros(m);
        s = time(warm(), reps(), () -> be.copy(y, x));
        copyCeiling = 2.0 * Float.BYTES * m / s;
        record("ceiling: copy " + m + " floats", s, 2.0 * Float.BYTES * m, "GB/s", "");
    }

    /** SGEMM at the models' shapes (m x k x n; TN = A^T B, the weight gradients). */
    void gemms() {
        int[][] shapes = quick ? new int[][] {{10, 8, 15, 0}} : new int[][] {{100, 88, 150, 0}, {3200, 88, 150, 0}, {3200, 150, 88, 0},
                {88, 3200, 150, 1}, {3200, 120, 480, 0}, {120, 3200, 480, 1}};
        for (int[] sh : shapes) {
            int m = sh[0], k = sh[1], n = sh[2];
            boolean tn = sh[3] == 1;
            Tensor a = tn ? random(k, m, 1, 3) : random(m, k, 1, 3), b = random(k, n, 1, 4), c = be.zeros(m, n);
            double s = time(warm(), reps() * 5, () -> be.gemm(c, a, tn, b, false, 1f, 0f));
            record("SGEMM " + m + "x" + k + "x" + n + (tn ? ":TN" : ""), s, 2.0 * m * n * k, "GFLOP/s", ofCeiling(2.0 * m * n * k / s));
        }
    }

    /** The persistent tanh recurrence and its BPTT over a chunk of 100 (B = 1 and 32 sequences). */
    void recurrence() {
        int t = quick ? 5 : 100, n = quick ? 9 : 100;
        for (int b : new int[] {1, 32}) {
            Tensor u = random((t + 1) * b, n, 1, 5), w = random(n, n, 0.1, 6), du = random((t + 1) * b, n, 1, 7), da = be.zeros(t * b, n);
            double s = time(warm(), reps(), () -> be.tanhRecurrence(u, w, b));
            double flops = 2.0 * t * b * n * n;      // one row times Wuu per step and sequence
            record("tanhRecurrence T=" + t + " n=" + n + " B=" + b, s, (double) t * b, "frames/s", ofCeiling(flops / s));
            s = time(warm(), reps(), () -> be.tanhRecurrenceBackward(da, du, u, w, b));
            record("tanhRecurrenceBackward T=" + t + " n=" + n + " B=" + b, s, (double) t * b, "frames/s", ofCeiling(flops / s));
        }
    }

    /** CD-15 over 100 conditional RBMs (one chunk) and 3,200 (32 chunks): the fused chain, W in shared memory. */
    void gibbs() {
        int nv = quick ? 8 : 88, nh = quick ? 12 : 150, k = quick ? 2 : 15;
        for (int rows : quick ? new int[] {5} : new int[] {100, 3200}) {
            Tensor v = binary(rows, nv, 0.1, 8), w = random(nv, nh, 0.1, 9), bv = random(rows, nv, 1, 10), bh = random(rows, nh, 1, 11);
            Rng rng = new Rng(1, 2);
            double s = time(warm(), reps(), () -> be.gibbsChain(v, null, w, bv, bh, k, rng));
            double flops = 4.0 * rows * k * nv * nh;  // two products of one row with W per step
            record("gibbsChain CD-" + k + " " + rows + " rows " + nv + "x" + nh, s, rows, "frames/s", ofCeiling(flops / s));
        }
    }

    /**
     * One AIS temperature (a Gibbs transition and the weight update) over R = conditionals x 100 chains, as the
     * evaluation runs it (per-frame biases, the base-rate model's visible biases mixed in), timed as (the time of
     * K + 1 temperatures - that of 1) / K so that the set-up drops out. Bar: the Nottingham test split (44,463
     * conditionals x 100 runs, one batch: evaluate --batch-chains 5000000) under 10 ms per temperature. GB/s counts
     * the bytes the five passes of a temperature must move (v W, aisHidden, h W^T, aisVisible) against the copy ceiling.
     */
    void ais() {
        int nv = quick ? 8 : 88, nh = quick ? 12 : 150, cond = quick ? 3 : 44463, runs = quick ? 2 : 100, k = quick ? 3 : 20;
        Tensor w = random(nv, nh, 0.1, 12), bv = random(cond, nv, 1, 13), bh = random(cond, nh, 1, 14), base = random(1, nv, 1, 16);
        Tensor a = base.reshape(nv);
        double one = time(quick ? 0 : 1, quick ? 1 : 2, () -> Ais.logZ(be, w, bv, bh, a, runs, Ais.Schedule.paperShape(3), new Rng(3, 4)));
        double many = time(quick ? 0 : 1, quick ? 1 : 2, () -> Ais.logZ(be, w, bv, bh, a, runs, Ais.Schedule.paperShape(3 + k), new Rng(3, 4)));
        double perTemperature = Math.max(many - one, 1e-12) / k;
        double r = (double) cond * runs;
        // floats per chain: v W reads v, writes x; aisHidden reads x, bh, writes x, h; h W^T reads h, writes x';
        // aisVisible reads x', bv, a (expanded per chain, as bv is per frame), v and writes v
        double bytes = Float.BYTES * r * ((nv + nh) + 4.0 * nh + (nh + nv) + 5.0 * nv);
        record("AIS temperature, " + cond + " x " + runs + " chains", perTemperature, r, "chains/s",
                String.format(Locale.ROOT, "%.0f GB/s (%.0f %% of the copy ceiling); test split 44,463 x 100 at this rate: "
                        + "%.2f ms per temperature (bar < 10)", bytes / perTemperature / 1e9, 100 * bytes / perTemperature / copyCeiling,
                        perTemperature * 44463.0 / cond * 1e3));
    }

    /** A whole RNN-RBM update at the tutorial's sizes, one chunk of 100 (the paper's) and 32 chunks. */
    void rnnRbm() {
        int t = quick ? 5 : 100, nv = quick ? 8 : 88;
        RnnRbmConfig d = RnnRbmConfig.defaults();
        if (quick) d = RnnRbmConfig.defaults().withNh(12).withNu(9).withK(2).withChunk(t).withOptimizer(d.optimizer()).withLrRbm(d.lrRbm()).withLrRnn(d.lrRnn()).withMomentum(d.momentum());
        for (int b : new int[] {1, 32}) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, d.withBatch(b), nv);
            Tensor v = binary(t * b, nv, 0.05, 15);
            double s = time(warm(), reps(), () -> tr.step(v, t, b, 1f));
            record("RNN-RBM training, " + b + " chunk" + (b > 1 ? "s" : "") + " of " + t + " per update", s, (double) t * b, "frames/s",
                    (b == 1 ? "bar >= 600,000" : "bar >= 5,000,000") + "; one update, waiting for its cost");
        }
        // whole epochs over a corpus shaped like Nottingham's training split (694 tunes, 176,561 frames, ~4 notes
        // per frame): trainEpoch leaves each update's cost on the device and reads them every 256 updates
        List<PianoRoll> corpus = corpus(quick ? 4 : 694, quick ? 12 : 254, nv);
        long frames = corpus.stream().mapToLong(PianoRoll::frames).sum();
        for (int b : new int[] {1, 32}) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, d.withBatch(b), nv);
            int[] epoch = {0};
            double s = time(quick ? 0 : 1, quick ? 1 : 3, () -> tr.trainEpoch(corpus, epoch[0]++, null));
            record("RNN-RBM training epoch, " + b + " chunk" + (b > 1 ? "s" : "") + " of " + t + " per update, " + frames + " frames", s,
                    (double) frames, "frames/s", b == 1 ? "bar >= 600,000 (an epoch of Nottingham under 0.3 s)" : "bar >= 5,000,000");
        }
    }

    /**
     * The NADE's exact passes over 3,200 frames (32 chunks of 100) with per-frame biases, as the RNN-NADE runs them.
     * Flops per frame: forward nv nh FMAs for the h_i . V[:, i] and nv nh for the a_i (4 nv nh); backward twice that.
     */
    void nade() {
        int nv = quick ? 8 : 88, nh = quick ? 12 : 150, rows = quick ? 5 : 3200;
        Tensor v = binary(rows, nv, 0.05, 18), w = random(nv, nh, 0.1, 19), vw = random(nh, nv, 0.1, 20), bv = random(rows, nv, 1, 21),
                bh = random(rows, nh, 1, 22), logp = be.zeros(rows), p = be.zeros(rows, nv);
        Tensor dW = be.zeros(nv, nh), dV = be.zeros(nh, nv), dBv = be.zeros(rows, nv), dBh = be.zeros(rows, nh);
        double s = time(warm(), reps(), () -> be.nadeForward(logp, p, v, w, vw, bv, bh));
        record("nadeForward " + rows + " rows " + nv + "x" + nh, s, rows, "frames/s", ofCeiling(4.0 * rows * nv * nh / s));
        s = time(warm(), reps(), () -> be.nadeBackward(dW, dV, dBv, dBh, v, p, w, vw, bh, 1f));
        record("nadeBackward " + rows + " rows " + nv + "x" + nh, s, rows, "frames/s", ofCeiling(8.0 * rows * nv * nh / s));
    }

    /** A whole RNN-NADE update at the tutorial's sizes (88 / 150 / 100), one chunk of 100 and 32 chunks, and whole epochs. */
    void rnnNade() {
        int t = quick ? 5 : 100, nv = quick ? 8 : 88;
        RnnNadeConfig d = RnnNadeConfig.defaults().withChunk(t);
        if (quick) d = d.withNh(12).withNu(9);
        String cpu = "CPU, 2 Zen 4 cores: 90,000 (B = 1) to 132,000 (B = 8), bench/RESULTS.md";
        for (int b : new int[] {1, 32}) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, d.withBatch(b), nv);
            Tensor v = binary(t * b, nv, 0.05, 23);
            double s = time(warm(), reps(), () -> tr.step(v, t, b, 1f));
            record("RNN-NADE training, " + b + " chunk" + (b > 1 ? "s" : "") + " of " + t + " per update", s, (double) t * b, "frames/s",
                    cpu + "; one update, waiting for its cost");
        }
        List<PianoRoll> corpus = corpus(quick ? 4 : 694, quick ? 12 : 254, nv);
        long frames = corpus.stream().mapToLong(PianoRoll::frames).sum();
        for (int b : new int[] {1, 32}) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, d.withBatch(b), nv);
            int[] epoch = {0};
            double s = time(quick ? 0 : 1, quick ? 1 : 3, () -> tr.trainEpoch(corpus, epoch[0]++, null));
            record("RNN-NADE training epoch, " + b + " chunk" + (b > 1 ? "s" : "") + " of " + t + " per update, " + frames + " frames", s,
                    (double) frames, "frames/s", cpu);
        }
    }

    /** count tunes of 1 .. 2 mean frames (mean about {@code mean}), each frame 4 of nv notes at random: a stand-in corpus. */
    private static List<PianoRoll> corpus(int count, int mean, int nv) {
        SplittableRandom r = new SplittableRandom(17);
        List<PianoRoll> rolls = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            int frames = 1 + r.nextInt(2 * mean);
            PianoRoll.Builder roll = PianoRoll.builder(frames, 21, nv);
            for (int f = 0; f < frames; f++) for (int k = 0; k < 4; k++) roll.set(f, 21 + r.nextInt(nv));
            rolls.add(roll.build());
        }
        return rolls;
    }

    /**
     * The LSTM 3 x 120 (batch 32 x 100) update: forward, loss (left on the device), backward, clip, SGD; then whole
     * epochs of LstmTrainer (each minibatch gathered on the device, costs read every 256 updates) over the
     * Nottingham-shaped corpus, CHUNKS (masked) and PACKED.
     */
    void lstm() {
        int t = quick ? 4 : 100, b = quick ? 3 : 32, n = quick ? 8 : 88;
        int[] hidden = quick ? new int[] {6, 6} : new int[] {120, 120, 120};
        Lstm m = new Lstm(be, n, hidden, n);
        m.initNormal(0.1, 1);
        Tensor x = binary(t * b, n, 0.05, 16), loss = be.zeros(1);
        double s = time(warm(), reps(), () -> {
            m.forward(x, t, b, false);
            m.loss(x, null, t * b, loss);
            m.zeroGrads();
            m.backward(x, null, t * b);
            be.clip(m.grads, m.grads, -30f, 30f);
            be.axpy(m.params, m.grads, -0.01f);
        });
        record("LSTM " + java.util.Arrays.toString(hidden) + " training, batch " + b + " x " + t, s, (double) t * b, "frames/s",
                "bar >= 1,000,000 (cuDNN ~970,000)");
        List<PianoRoll> corpus = corpus(quick ? 6 : 694, quick ? 12 : 254, n);
        for (Minibatches.Mode mode : new Minibatches.Mode[] {Minibatches.Mode.CHUNKS, Minibatches.Mode.PACKED}) {
            LstmConfig c = LstmConfig.defaults().withHidden(hidden).withMode(mode).withBatch(b).withSteps(t).withLr(new float[] {0.01f});
            LstmTrainer tr = new LstmTrainer(be, c, n);
            long frames = tr.framesPerEpoch(corpus);
            int[] epoch = {0};
            s = time(quick ? 0 : 1, quick ? 1 : 3, () -> tr.trainEpoch(corpus, epoch[0]++, null));
            record("LSTM " + java.util.Arrays.toString(hidden) + " training epoch, " + mode + " " + b + " x " + t + ", " + frames
                    + " frames", s, (double) frames, "frames/s", "bar >= 1,000,000 (counted frames, padding excluded)");
        }
    }
}
