package dev.tessitura.engine;

/**
 * Settings a backend is created with.
 *
 * @param threads    worker threads for CPU backends (1 = single-threaded); 0 = one per available core
 * @param vectorBits SIMD width in bits: 0 = the CPU's preferred width, or 128, 256, 512
 */
public record BackendOptions(int threads, int vectorBits) {
    /** System property: thread count for CPU backends. */
    public static final String THREADS = "tessitura.threads";
    /** System property: SIMD width, 0 = preferred, 128/256/512, or "scalar" to force the scalar backend. */
    public static final String VECTOR = "tessitura.vector";

    public BackendOptions {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        if (vectorBits != 0 && vectorBits != 128 && vectorBits != 256 && vectorBits != 512) {
            throw new IllegalArgumentException("vector width must be 0 (preferred), 128, 256 or 512, got " + vectorBits);
        }
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0, 0);
    }

    /** From -Dtessitura.threads and -Dtessitura.vector (a "scalar" vector setting is handled by {@link Backends}). */
    public static BackendOptions fromSystemProperties() {
        int threads = integer(THREADS, System.getProperty(THREADS, "0"));
        String v = System.getProperty(VECTOR, "0");
        int bits = v.equalsIgnoreCase("scalar") ? 0 : integer(VECTOR, v);
        return new BackendOptions(threads, bits);
    }

    private static int integer(String property, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + property + " wants an integer, got '" + value + "'");
        }
    }

    /** The thread count with 0 resolved to the number of available cores. */
    public int resolvedThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
