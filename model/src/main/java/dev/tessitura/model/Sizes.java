package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import java.util.Locale;

/** Up-front checks that a model fits before anything is allocated: one clear line instead of an overflow or an OutOfMemoryError. */
public final class Sizes {
    private Sizes() {}

    /**
     * The parameter count {@code n} of {@code model} as an int, after checking that a tensor can hold it and, on a CPU
     * backend, that the JVM's heap can hold it four times over (parameters, gradients, two optimizer moments).
     */
    public static int parameters(Backend be, String model, long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: %,d parameters; one tensor holds at most 2^31 - 9 values: "
                    + "choose smaller sizes", model, n));
        }
        if (!be.name().equals("cuda")) heap(model + ": " + String.format(Locale.ROOT, "%,d parameters", n), 16L * n);
        return (int) n;
    }

    /** Checks that {@code bytes} fit in this JVM's heap; {@code what} says what needs them. */
    public static void heap(String what, long bytes) {
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > max) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s need about %.1f GB; this JVM may use %.1f GB "
                    + "(more with -Xmx, e.g. JAVA_OPTS=-Xmx16g)", what, bytes / 1e9, max / 1e9));
        }
    }
}
