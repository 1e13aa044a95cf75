package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GpuBench, shrunk, on the host emulator: every benchmark runs and reports, so the runner is ready for a GPU. */
@Tag("emulated")
class GpuBenchTest {
    @Test
    void everyBenchmarkRunsAndIsReported(@TempDir Path dir) throws Exception {
        Optional<String> why = HostDevice.unavailableReason();
        Assumptions.assumeTrue(why.isEmpty(), () -> "no host emulator here: " + why.orElse(""));
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (CudaBackend be = new CudaBackend(HostDevice.open())) {
            List<GpuBench.Result> rs = new GpuBench(be, true, new PrintStream(text, true, StandardCharsets.UTF_8)).runAll();
            List<String> names = rs.stream().map(GpuBench.Result::name).toList();
            for (String want : new String[] {"ceiling: SGEMM", "ceiling: copy", "SGEMM 10x8x15", "tanhRecurrence ", "tanhRecurrenceBackward",
                    "gibbsChain CD-2", "AIS temperature", "RNN-RBM training, 1 chunk", "RNN-RBM training, 32 chunks", "RNN-RBM training epoch, 1 chunk",
                    "RNN-RBM training epoch, 32 chunks", "nadeForward 5 rows", "nadeBackward 5 rows",
                    "RNN-NADE training, 1 chunk", "RNN-NADE training, 32 chunks", "RNN-NADE training epoch, 1 chunk", "RNN-NADE training epoch, 32 chunks", "LSTM [6, 6] training, batch", "LSTM [6, 6] training epoch, CHUNKS",
                    "LSTM [6, 6] training epoch, PACKED"}) {
                assertTrue(names.stream().anyMatch(n -> n.startsWith(want)), want + " in " + names);
            }
            for (GpuBench.Result r : rs) assertTrue(r.seconds() > 0 && Double.isFinite(r.rate()), r.line());
            Path tsv = dir.resolve("bench.tsv");
            GpuBench.write(tsv, be.description(), rs);
            assertEquals(rs.size() + 2, Files.readAllLines(tsv).size());
        }
        assertTrue(text.toString(StandardCharsets.UTF_8).contains("frames/s"), text.toString(StandardCharsets.UTF_8));
    }
}
