package dev.tessitura.engine.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * JCuda handles whose raw native value we need for cuBLAS (called through FFM): the getter is protected, so these
 * subclasses expose it. Pass them to JCuda wherever a CUdeviceptr or CUstream is expected.
 */
final class DevicePointer extends CUdeviceptr {
    /** The device address, e.g. for cublasSgemm_v2. */
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
