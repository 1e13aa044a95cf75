// All of Tessitura's CUDA kernels, one translation unit so that one PTX module holds them (loaded by
// engine-cuda's CudaBackend with cuModuleLoadData). Every kernel is extern "C" with a k_ prefix, and names the
// dev.tessitura.engine.Backend op it implements. Build: see kernels/pom.xml (nvcc -ptx -arch=compute_75
// -fmad=false).
#include "elementwise.cuh"
#include "reduce.cuh"
#include "random.cuh"
#include "rbm.cuh"
#include "nade.cuh"
#include "lstm.cuh"
#include "recurrence.cuh"
#include "optim.cuh"
#include "softmax.cuh"
#include "ais.cuh"
