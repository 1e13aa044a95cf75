package dev.tessitura.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's floating-point ceiling as the GEMM kernel sees it, in the same minute as the other benchmarks: ten
 * independent FMA chains on the preferred vector species with no memory traffic (the kernel's inner loop without its
 * loads). GFLOP/s = the "flops" rate / 1e9. Run it with {@code -t 2} for two cores: JMH sums the threads. On a shared
 * machine this moves with the host's load, and a training step's rate read beside it says how much of a slow reading
 * is the machine rather than the engine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class PeakBenchmark {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int ITERATIONS = 1_000_000, CHAINS = 10;

    @Benchmark
    public float fma(Flops f) {
        FloatVector a = FloatVector.broadcast(S, 1.0000001f), b = FloatVector.broadcast(S, 0.5f);
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
        for (int i = 0; i < ITERATIONS; i++) {
            c0 = a.fma(c0, b); c1 = a.fma(c1, b); c2 = a.fma(c2, b); c3 = a.fma(c3, b); c4 = a.fma(c4, b);
            c5 = a.fma(c5, b); c6 = a.fma(c6, b); c7 = a.fma(c7, b); c8 = a.fma(c8, b); c9 = a.fma(c9, b);
        }
        f.flops += 2L * CHAINS * S.length() * ITERATIONS;
        // the sum keeps every chain live
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).reduceLanes(VectorOperators.ADD);
    }
}
