package dev.tessitura.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Looks for the NVIDIA driver through the JDK's FFM API, without JCuda, so that probing never needs native
 * libraries of ours: loads libcuda.so.1, calls cuInit(0), cuDriverGetVersion and cuDeviceGetCount.
 * Any failure becomes a sentence for the user.
 */
public final class CudaDriverProbe {
    /** PTX built by nvcc 13 needs a driver of CUDA 13.0 or newer (driver 580+). */
    public static final int MIN_DRIVER_API = 13000;

    /** What the probe found: a driver API version (e.g. 13000 for CUDA 13.0) and a device count, or why not. */
    public record Result(int driverVersion, int devices, Optional<String> problem) {}

    private CudaDriverProbe() {}

    public static Result probe() {
        return probe("libcuda.so.1");
    }

    static Result probe(String library) {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return fail(library + " not found (no NVIDIA driver on this machine)");
        }
        try (Arena arena = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            FunctionDescriptor intOfInt = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
            FunctionDescriptor intOfPtr = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
            MethodHandle cuInit = linker.downcallHandle(lib.find("cuInit").orElseThrow(), intOfInt);
            MethodHandle cuDriverGetVersion = linker.downcallHandle(lib.find("cuDriverGetVersion").orElseThrow(), intOfPtr);
            MethodHandle cuDeviceGetCount = linker.downcallHandle(lib.find("cuDeviceGetCount").orElseThrow(), intOfPtr);
            int rc = (int) cuInit.invokeExact(0);
            if (rc != 0) return fail("cuInit failed with CUresult " + rc + " (driver installed but unusable: no device or a permission problem)");
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            rc = (int) cuDriverGetVersion.invokeExact(out);
            if (rc != 0) return fail("cuDriverGetVersion failed with CUresult " + rc);
            int version = out.get(ValueLayout.JAVA_INT, 0);
            rc = (int) cuDeviceGetCount.invokeExact(out);
            int devices = rc == 0 ? out.get(ValueLayout.JAVA_INT, 0) : 0;
            if (devices == 0) return new Result(version, 0, Optional.of("the driver sees no CUDA device"));
            if (version < MIN_DRIVER_API) {
                return new Result(version, devices, Optional.of(tooOld(version)));
            }
            return new Result(version, devices, Optional.empty());
        } catch (Throwable t) {
            return fail("probing " + library + " failed: " + t);
        }
    }

    /** The reason for a driver older than {@link #MIN_DRIVER_API}. */
    static String tooOld(int version) {
        return "driver supports CUDA " + version / 1000 + "." + version % 1000 / 10
                + ", but PTX built by nvcc 13 needs driver >= 580 (CUDA 13.0): update the NVIDIA driver";
    }

    private static Result fail(String why) {
        return new Result(0, 0, Optional.of(why));
    }
}
