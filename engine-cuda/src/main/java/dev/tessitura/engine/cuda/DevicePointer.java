package dev.tessitura.engine.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * JCuda handles whose raw native value we need (device addresses for cuBLAS and our own bookkeeping, the stream
 * for cublasSetStream_v2): the getter is protected, so these subclasses expose it.
 */
final class DevicePointer extends CUdeviceptr {
    /** The device address cuMemAlloc wrote. */
    long address() {
        return getNativePointer();
    }

    /** A stream whose cudaStream_t value can be handed to cublasSetStream_v2. */
    static final class Stream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }
}
