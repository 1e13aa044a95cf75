package dev.tessitura.engine.cuda;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.BackendProvider;
import java.util.Optional;

/**
 * The "cuda" backend's entry in backend discovery. It can run when the driver probe finds a device with a driver
 * new enough for our PTX, the kernels jar holds the PTX, and a cuBLAS library loads; otherwise it says which of these
 * is missing, checked in that order.
 */
public final class CudaProvider implements BackendProvider {
    static final String NO_KERNELS = "kernels not built (nvcc was not found at build time): rebuild with nvcc 13 on the PATH";
    static final String NO_CUBLAS = "cuBLAS not found: looked for libcublas.so.13 and libcublas.so.12 on the loader's path and in"
            + " /usr/local/cuda/lib64 (install CUDA 13's libcublas, add its directory to LD_LIBRARY_PATH, or set -D"
            + Cublas.PROPERTY + "=/path/to/libcublas.so.13)";

    @Override public String name() { return "cuda"; }
    @Override public int priority() { return 300; }

    @Override
    public Optional<String> unavailableReason() {
        CudaDriverProbe.Result driver = CudaDriverProbe.probe();
        if (driver.problem().isPresent()) return driver.problem();
        return reason(driver, Kernel.ptx().isPresent(), Cublas.find().isPresent());
    }

    /** Why the backend cannot run given what was found, checked in order; empty when it can. */
    static Optional<String> reason(CudaDriverProbe.Result driver, boolean ptxBuilt, boolean cublasFound) {
        if (driver.problem().isPresent()) return driver.problem();
        if (!ptxBuilt) return Optional.of(NO_KERNELS);
        if (!cublasFound) return Optional.of(NO_CUBLAS);
        return Optional.empty();
    }

    /** Device 0 with the packaged kernels. Options are for CPU backends; none applies here. */
    @Override
    public Backend create(BackendOptions options) {
        Optional<String> why = unavailableReason();
        if (why.isPresent()) throw new IllegalStateException("cuda: " + why.get());
        String ptx = Kernel.ptx().orElseThrow();
        Cublas.Library cublas = Cublas.find().orElseThrow();
        try {
            return new CudaBackend(new DriverDevice(0, ptx, cublas));
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("cuda: JCuda's native library (jcuda-natives for this OS and CPU) could not be"
                    + " loaded: " + e.getMessage(), e);
        }
    }
}
