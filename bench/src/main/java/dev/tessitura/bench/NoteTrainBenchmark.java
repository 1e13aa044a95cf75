package dev.tessitura.bench;

import dev.tessitura.engine.Backend;
import dev.tessitura.model.Position;
import dev.tessitura.model.notes.NoteConfig;
import dev.tessitura.model.notes.NoteTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training the note-by-note LSTM (note-lstm, its defaults: frame LSTM 2 x 200, note LSTM 200, 32 streams x 64 frames,
 * Adam) on tunes shaped like Nottingham's: 64 tunes of 254 frames, each frame a melody note over a three-note chord
 * (4 notes, 5 tokens, as Nottingham's 3.96 notes per frame). One call is one epoch over them, 16,256 frames, 8
 * updates; the "elements" rate counts frames: frames/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class NoteTrainBenchmark {
    static final int TUNES = 64, FRAMES = 254;

    @Param({"simd-1t", "simd-2t"})
    public String impl;

    private Backend backend;
    private NoteTrainer trainer;
    private List<int[][]> tunes;
    private int epoch;

    @Setup
    public void setup() {
        backend = Impl.create(impl);
        trainer = new NoteTrainer(backend, NoteConfig.defaults(), 88);
        tunes = tunes(TUNES, FRAMES, 5);
    }

    @TearDown
    public void tearDown() {
        backend.close();
    }

    /** Tunes of a random-walk melody (MIDI 60-83) over triads (MIDI 43-57) that change every four frames. */
    static List<int[][]> tunes(int count, int frames, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[][]> out = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int[][] t = new int[frames][];
            int melody = 70, root = 48;
            for (int f = 0; f < frames; f++) {
                melody = Math.max(60, Math.min(83, melody + r.nextInt(-2, 3)));
                if (f % 4 == 0) root = 43 + r.nextInt(8);
                t[f] = new int[] {root - 21, root + 4 - 21, root + 7 - 21, melody - 21};
            }
            out.add(t);
        }
        return out;
    }

    @Benchmark
    public double trainEpoch(Elements frames) {
        double cost = trainer.trainEpoch(tunes, Position.start(epoch++), () -> false, null).meanCost();
        if (!Double.isFinite(cost)) throw new IllegalStateException("note-lstm: cost " + cost);
        frames.elements += (long) TUNES * FRAMES;
        return cost;
    }
}
