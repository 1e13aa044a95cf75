#!/bin/sh
# Assembles a directory that runs the CUDA backend's GPU test suite on a machine with an NVIDIA driver but no
# JDK and no Maven (our GPU machines): a jlink runtime, the compiled classes, the test-scope jars, and run.sh.
# Usage (it compiles what it needs first, so it works on a fresh clone; paths are from the repository root):
#   engine-cuda/make-gpu-suite.sh [build folder name, default target]   -> engine-cuda/<build folder>/gpu-suite
# Run it on the GPU machine with: gpu-suite/run.sh   (exit 0 all passed, 1 a failure, 2 skipped: no usable GPU)
# JDK (default /usr/lib/jvm/temurin-25-jdk-amd64) is the JDK 25 whose jlink makes the runtime.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-target}
JDK=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
MOD=engine-cuda
DIR=$MOD/$OUT/gpu-suite
DEPS=$MOD/$OUT/dependency
[ -x "$JDK/bin/jlink" ] || { echo "no $JDK/bin/jlink: point JDK at a JDK 25" >&2; exit 1; }
rm -rf "$DIR" "$DEPS"
mkdir -p "$DIR/lib"
# One reactor build: with -am our modules are in the reactor, so Maven resolves them from this tree's build
# folders, never from ~/.m2 (empty on a fresh machine, possibly stale on a used one). copy-dependencies runs in
# every module of the reactor, each into its own $OUT/dependency; only engine-cuda's is used.
./mvnw -B -q -Dtess.out="$OUT" -pl "$MOD" -am test-compile dependency:copy-dependencies -DincludeScope=test \
  -DexcludeGroupIds=dev.tessitura
[ -f "kernels/$OUT/classes/dev/tessitura/kernels/tessitura.ptx" ] ||
  echo "warning: no PTX (nvcc was not on the PATH): on a GPU, run.sh will say 'kernels not built'" >&2
cp "$DEPS"/*.jar "$DIR/lib/"
for m in engine-api engine-cpu kernels model midi; do cp -r "$m/$OUT/classes" "$DIR/$m"; done
# jcuda-natives carries four libraries (26 MB); the driver API needs only libJCudaDriver.
for j in "$DIR"/lib/jcuda-natives-*.jar; do
  zip -q -d "$j" 'lib/libJNvPTXCompiler*' 'lib/libJCudaRuntime*' 'lib/libJNvrtc*'
done
cp -r "$MOD/$OUT/classes" "$DIR/classes"
cp -r "$MOD/$OUT/test-classes" "$DIR/test-classes"
"$JDK/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$DIR/jre"
cat > "$DIR/run.sh" <<'RUN'
#!/bin/sh
# The GPU test suite: every CudaBackend op against the scalar backend, whole model steps against the float64
# references. Extra arguments go to the JVM.
cd "$(dirname "$0")"
exec jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "$@" \
  -cp "classes:test-classes:engine-api:engine-cpu:kernels:model:midi:lib/*" dev.tessitura.engine.cuda.GpuSuite --require-gpu
RUN
cat > "$DIR/bench.sh" <<'RUN'
#!/bin/sh
# The GPU benchmarks (GpuBench): ceilings, SGEMM at the models' shapes, the fused kernels, AIS, whole training steps,
# each with its bar. Arguments: --tsv FILE (also write the figures there), --quick (tiny sizes: a smoke test).
# Exit 2 when there is no usable GPU.
cd "$(dirname "$0")"
exec jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "classes:test-classes:engine-api:engine-cpu:kernels:model:midi:lib/*" dev.tessitura.engine.cuda.GpuBench "$@"
RUN
cat > "$DIR/sanitize.sh" <<'RUN'
#!/bin/sh
# The GPU test suite under compute-sanitizer (memcheck by default; pass --tool racecheck, synccheck, initcheck for
# the others), where the machine has it (a CUDA toolkit: on the PATH or in /usr/local/cuda/bin). A first argument
# --ops runs only the ops' tests (every kernel, minutes less than the whole suite). Exit 3 when the sanitizer
# reports an error, 4 when there is no compute-sanitizer.
cd "$(dirname "$0")"
OPS=
if [ "${1:-}" = --ops ]; then OPS=--ops; shift; fi
CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
[ -n "$CS" ] || { echo "sanitize.sh: no compute-sanitizer on this machine" >&2; exit 4; }
exec "$CS" --error-exitcode 3 "$@" jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "classes:test-classes:engine-api:engine-cpu:kernels:model:midi:lib/*" dev.tessitura.engine.cuda.GpuSuite --require-gpu $OPS
RUN
cat > "$DIR/all.sh" <<'RUN'
#!/bin/sh
# Everything a GPU session should run, in one call of under 10 minutes: the suite, the benchmarks, then the ops'
# tests under compute-sanitizer (where there is one), each with its log in DIR (default: the current folder) and a
# time limit (a session has 10 minutes a call), the summary printed before the sanitizer starts. For the session
# tool: all.sh "$OUT". Exit status: the suite's (0 passed, 1 a failure, 2 no usable GPU, 124 out of time).
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR=${1:-.}
mkdir -p "$DIR"
nvidia-smi > "$DIR/nvidia-smi.txt" 2>&1 || true
timeout 240 "$HERE/run.sh" > "$DIR/suite.log" 2>&1; SUITE=$?
timeout 200 "$HERE/bench.sh" --tsv "$DIR/bench.tsv" > "$DIR/bench.log" 2>&1; BENCH=$?
echo "suite: exit $SUITE (0 passed, 1 a failure, 2 no usable GPU, 124 out of time); bench: exit $BENCH"
grep -E "tests (successful|failed|aborted)" "$DIR/suite.log"
grep -A40 "Failures (" "$DIR/suite.log" | head -60
cat "$DIR/bench.log"
timeout 120 "$HERE/sanitize.sh" --ops > "$DIR/sanitize.log" 2>&1; SAN=$?
echo "sanitize (the ops' tests under memcheck): exit $SAN (0 clean, 3 errors, 4 no compute-sanitizer, 124 out of time)"
tail -5 "$DIR/sanitize.log"
exit $SUITE
RUN
chmod +x "$DIR/run.sh" "$DIR/bench.sh" "$DIR/sanitize.sh" "$DIR/all.sh"
du -sh "$DIR"
