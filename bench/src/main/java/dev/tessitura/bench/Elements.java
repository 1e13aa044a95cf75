package dev.tessitura.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Elements processed per benchmark call, reported by JMH as the rate "elements" (elements/s) next to ops/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Elements {
    public long elements;

    @Setup(Level.Iteration)
    public void reset() {
        elements = 0;
    }
}
