package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

class CudaExceptionTest {
    @Test
    void outOfMemoryIsNamedAndExplained() {
        CudaException e = CudaException.driver(CUresult.CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc(512)");
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertEquals("cuda: cuMemAlloc(512) failed with CUDA_ERROR_OUT_OF_MEMORY (out of device memory: use smaller batches"
                + " or free other GPU processes)", e.getMessage());
    }

    @Test
    void aKernelFaultSaysTheContextIsLost() {
        CudaException e = CudaException.driver(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, "cuStreamSynchronize");
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", e.errorName());
        assertTrue(e.getMessage().contains("a kernel fault") && e.getMessage().contains("compute-sanitizer"), e.getMessage());
    }

    @Test
    void aPtxTooNewForTheDriverNamesTheDriverNeeded() {
        CudaException e = CudaException.driver(CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION, "cuModuleLoadData");
        assertTrue(e.getMessage().contains("PTX built by nvcc 13 needs driver >= 580"), e.getMessage());
    }

    @Test
    void successPassesAndCublasStatusesAreNamed() {
        CudaException.check(CUresult.CUDA_SUCCESS, "anything");
        assertThrows(CudaException.class, () -> CudaException.check(CUresult.CUDA_ERROR_INVALID_VALUE, "x"));
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", CudaException.cublasStatusName(13));
        assertEquals("CUBLAS_STATUS_99", CudaException.cublasStatusName(99));
    }
}
