package dev.baton.cuda.check;

import dev.baton.accelerator.Availability;
import dev.baton.cuda.device.CudaBinding;
import dev.baton.cuda.device.CudaDevice;
import dev.baton.cuda.device.GpuBenchmark;
import dev.baton.cuda.driver.CudaProbe;
import dev.baton.cuda.kernels.KernelImage;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one-shot check of a GPU host ({@code reference-cuda/gpu-check.sh}): probes the device, runs the correctness
 * tests tagged {@code gpu} with the JUnit platform (no Maven needed), then times the binding's operations against
 * plain CUDA copies and prints a table of ratios. Without a usable GPU it prints "no GPU: " and the reason, and exits
 * 0.
 *
 * <p>Options: {@code --no-tests}, {@code --no-bench}. Exit status: 0 when every correctness test passed (timing goals
 * are reported, not enforced), 1 otherwise.
 */
public final class GpuCheck {

    /** The classes holding the tests tagged gpu (explicit, so that jqwik properties in them run too). */
    static final List<String> GPU_TESTS = List.of("dev.baton.cuda.device.GpuKernelChecksTest",
            "dev.baton.cuda.device.GpuCudaMatchesCpuTest", "dev.baton.cuda.conformance.CudaConformanceTest",
            "dev.baton.cuda.CudaProviderDiscoveryTest");

    private GpuCheck() {
    }

    public static void main(String[] args) {
        List<String> options = List.of(args);
        PrintStream out = System.out;
        out.println("Baton reference-cuda GPU check");
        out.println("  java " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        KernelImage image = KernelImage.load();
        out.println("  kernels: " + image.recorded("nvcc") + "; " + image.recorded("flags"));
        out.println("  driver library: " + CudaBinding.library());
        Availability a = CudaBinding.availability();
        if (!a.isAvailable()) {
            out.println("no GPU: " + a.detail());
            out.flush();
            System.exit(0);
        }
        out.println("  device 0: " + a.detail());
        boolean emulated = a.detail().contains("emulator");
        if (emulated) {
            out.println("  EMULATED: no GPU here; a fake libcuda runs the kernels on the CPU. This checks the check,"
                    + " not a GPU: its timings are not GPU timings.");
        }
        int failed = 0;
        if (!options.contains("--no-tests")) {
            failed = runTests(out);
        }
        if (!options.contains("--no-bench")) {
            out.println();
            out.println("timings: median of 15 runs after 3 warm-up runs, CUDA events on one stream");
            CudaProbe.Ready ready = (CudaProbe.Ready) CudaBinding.outcome();
            try (CudaDevice device = CudaDevice.open(ready.driver(), 0, image)) {
                List<GpuBenchmark.Row> rows = new GpuBenchmark(device, emulated).run();
                out.print(GpuBenchmark.table(rows));
            }
        }
        out.println();
        out.println(failed == 0 ? "correctness: all passed" : "correctness: " + failed + " FAILED");
        out.flush();
        System.exit(failed == 0 ? 0 : 1);
    }

    /** Runs the gpu-tagged test classes, printing one line per test and what it reported; returns the failures. */
    static int runTests(PrintStream out) {
        out.println();
        out.println("correctness (the tests tagged gpu, run with the JUnit platform):");
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (String c : GPU_TESTS) {
            request.selectors(DiscoverySelectors.selectClass(c));
        }
        LauncherDiscoveryRequest discovery = request
                .configurationParameter("junit.jupiter.displayname.generator.default",
                        "org.junit.jupiter.api.DisplayNameGenerator$ReplaceUnderscores")
                .configurationParameter("jqwik.reporting.onlyfailures", "true")
                .build();
        Map<String, List<String>> reports = new HashMap<>();
        AtomicInteger passed = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger skipped = new AtomicInteger();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(discovery, new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier test, String reason) {
                if (test.isTest() || test.getSource().isPresent()) {
                    skipped.incrementAndGet();
                    out.println("  SKIP " + name(test) + ": " + reason);
                }
            }

            @Override
            public void reportingEntryPublished(TestIdentifier test, ReportEntry entry) {
                for (Map.Entry<String, String> e : entry.getKeyValuePairs().entrySet()) {
                    reports.computeIfAbsent(test.getUniqueId(), k -> new ArrayList<>())
                            .add("         " + e.getKey() + ": " + e.getValue());
                }
            }

            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (!test.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                    return;
                }
                switch (result.getStatus()) {
                    case SUCCESSFUL -> {
                        passed.incrementAndGet();
                        out.println("  PASS " + name(test));
                    }
                    case ABORTED -> {
                        skipped.incrementAndGet();
                        out.println("  SKIP " + name(test) + ": " + result.getThrowable().map(Throwable::getMessage)
                                .orElse(""));
                    }
                    case FAILED -> {
                        failed.incrementAndGet();
                        out.println("  FAIL " + name(test) + ": " + result.getThrowable().map(Throwable::toString)
                                .orElse(""));
                    }
                }
                reports.getOrDefault(test.getUniqueId(), List.of()).forEach(out::println);
            }
        });
        out.printf(Locale.ROOT, "  %d passed, %d failed, %d skipped%n", passed.get(), failed.get(), skipped.get());
        return failed.get();
    }

    private static String name(TestIdentifier test) {
        String container = test.getParentIdObject().map(Object::toString).orElse("");
        int cls = container.lastIndexOf("class:");
        String owner = cls >= 0 ? container.substring(cls + 6).replaceAll("[\\]/].*", "") : "";
        owner = owner.substring(owner.lastIndexOf('.') + 1);
        return (owner.isEmpty() ? "" : owner + ": ") + test.getDisplayName();
    }
}
