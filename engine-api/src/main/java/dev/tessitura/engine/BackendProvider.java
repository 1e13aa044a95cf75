package dev.tessitura.engine;

import java.util.Optional;

/**
 * A backend implementation, found at run time with {@link java.util.ServiceLoader}
 * (META-INF/services/dev.tessitura.engine.BackendProvider). Probing must be cheap and must not throw:
 * a provider that cannot run here says why.
 */
public interface BackendProvider {
    /** The name users select it by: "scalar", "simd", "cuda". */
    String name();

    /** Higher is preferred when the backend is chosen automatically. */
    int priority();

    /** Empty when the backend can run here; otherwise why not, e.g. "libcuda.so.1 not found". */
    Optional<String> unavailableReason();

    /** Creates the backend; only called when {@link #unavailableReason()} is empty. */
    Backend create(BackendOptions options);
}
