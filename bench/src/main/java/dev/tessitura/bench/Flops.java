package dev.tessitura.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Floating-point operations done per benchmark call, reported by JMH as the rate "flops" next to ops/s:
 * flops/s / 1e9 = GFLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Flops {
    public long flops;

    @Setup(Level.Iteration)
    public void reset() {
        flops = 0;
    }
}
