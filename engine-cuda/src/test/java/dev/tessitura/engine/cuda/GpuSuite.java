package dev.tessitura.engine.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the tests tagged "gpu" without Maven, for GPU machines that have only a Java runtime and the jars
 * (see engine-cuda/README.md). Exit status 0 when all passed; 1 on a failure; 2 with --require-gpu when the tests
 * were skipped (no usable GPU), so that a runner cannot mistake a skip for a pass.
 */
public final class GpuSuite {
    private GpuSuite() {}

    public static void main(String[] args) {
        boolean requireGpu = List.of(args).contains("--require-gpu");
        TestExecutionSummary s = run(List.of(args).contains("--ops"));
        s.printTo(new PrintWriter(System.out, true));
        s.printFailuresTo(new PrintWriter(System.out, true), 30);
        System.exit(status(s, requireGpu));
    }

    /** The whole suite, or with {@code opsOnly} the ops' tests alone (CudaBackendGpuTest, NadeGpuTest: quick under a sanitizer). */
    static TestExecutionSummary run(boolean opsOnly) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(opsOnly ? List.of(selectClass(CudaBackendGpuTest.class), selectClass(NadeGpuTest.class))
                        : List.of(selectPackage("dev.tessitura.engine.cuda")))
                .filters(TagFilter.includeTags("gpu"), TagFilter.excludeTags("emulated"))
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        Set<String> skipReasons = new LinkedHashSet<>();
        TestExecutionListener reasons = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
                    result.getThrowable().ifPresent(t -> skipReasons.add(String.valueOf(t.getMessage())));
                }
            }
        };
        LauncherFactory.create().execute(request, listener, reasons);
        for (String r : skipReasons) System.out.println("skipped: " + r);
        return listener.getSummary();
    }

    static int status(TestExecutionSummary s, boolean requireGpu) {
        if (s.getTotalFailureCount() > 0) return 1;
        if (requireGpu && (s.getTestsSucceededCount() == 0 || s.getTestsAbortedCount() > 0)) return 2;
        return 0;
    }
}
