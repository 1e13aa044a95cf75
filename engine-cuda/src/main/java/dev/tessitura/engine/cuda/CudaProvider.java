package dev.tessitura.engine.cuda;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.BackendProvider;
import java.util.Optional;

/**
 * The "cuda" backend's entry in backend discovery. The driver probe is real; the backend itself (kernels,
 * cuBLAS through FFM) is not written yet, and the provider says so rather than pretending.
 */
public final class CudaProvider implements BackendProvider {
    @Override public String name() { return "cuda"; }
    @Override public int priority() { return 300; }

    @Override
    public Optional<String> unavailableReason() {
        CudaDriverProbe.Result r = CudaDriverProbe.probe();
        if (r.problem().isPresent()) return r.problem();
        return Optional.of("driver CUDA " + r.driverVersion() / 1000 + "." + r.driverVersion() % 1000 / 10 + " with "
                + r.devices() + " device(s) found, but the CUDA backend is not part of this build yet");
    }

    @Override
    public Backend create(BackendOptions options) {
        throw new IllegalStateException("cuda: " + unavailableReason().orElse("unavailable"));
    }
}
