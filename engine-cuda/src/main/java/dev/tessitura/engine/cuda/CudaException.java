package dev.tessitura.engine.cuda;

import jcuda.driver.CUresult;

/**
 * A CUDA driver or cuBLAS call failed. The message names the call, the error code's name (CUDA_ERROR_*,
 * CUBLAS_STATUS_*) and, for the errors users meet, what it means and what to do.
 */
public final class CudaException extends RuntimeException {
    private final String errorName;

    public CudaException(String message, String errorName) {
        super(message);
        this.errorName = errorName;
    }

    /** The error code's name, e.g. CUDA_ERROR_OUT_OF_MEMORY or CUBLAS_STATUS_EXECUTION_FAILED. */
    public String errorName() {
        return errorName;
    }

    /** The exception for driver API result {@code rc} (not CUDA_SUCCESS) returned by {@code call}. */
    static CudaException driver(int rc, String call) {
        String name = CUresult.stringFor(rc);
        return new CudaException("cuda: " + call + " failed with " + name + explain(name), name);
    }

    /** Throws unless {@code rc} is CUDA_SUCCESS. */
    static void check(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) throw driver(rc, call);
    }

    /** What an error means for the user; empty for the rare ones. */
    static String explain(String name) {
        return switch (name) {
            case "CUDA_ERROR_OUT_OF_MEMORY" -> " (out of device memory: use smaller batches or free other GPU processes)";
            // A fault inside a kernel is sticky: every later call in this context fails the same way.
            case "CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_LAUNCH_FAILED", "CUDA_ERROR_ILLEGAL_INSTRUCTION",
                 "CUDA_ERROR_MISALIGNED_ADDRESS", "CUDA_ERROR_HARDWARE_STACK_ERROR", "CUDA_ERROR_INVALID_PC",
                 "CUDA_ERROR_ASSERT" ->
                    " (a kernel fault, reported at the first call after it; the CUDA context is now unusable: close this"
                    + " backend; rerun under compute-sanitizer to find the kernel)";
            case "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "CUDA_ERROR_INVALID_PTX", "CUDA_ERROR_NO_BINARY_FOR_GPU" ->
                    " (PTX built by nvcc 13 needs driver >= 580 (CUDA 13.0); update the NVIDIA driver)";
            case "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES" -> " (too many registers or too much shared memory for this launch)";
            case "CUDA_ERROR_NO_DEVICE" -> " (the driver sees no CUDA device)";
            default -> "";
        };
    }

    /** cuBLAS status names (cublas_api.h); cuBLAS has no string function we can rely on across versions. */
    static String cublasStatusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "CUBLAS_STATUS_" + status;
        };
    }
}
