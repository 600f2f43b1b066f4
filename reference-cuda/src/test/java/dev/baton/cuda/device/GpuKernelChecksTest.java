package dev.baton.cuda.device;

import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.driver.CudaProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * {@link KernelChecks} on a real GPU, at sizes that exercise it (64 query rows, contexts up to 2048, 4096 draft
 * verifications over an 8192-token vocabulary). Skipped, with the probe's reason, where there is no usable CUDA device;
 * {@code gpu-check.sh} runs it on GPU hosts.
 */
@Tag("gpu")
class GpuKernelChecksTest extends KernelChecks {

    @Override
    protected CudaDriver driver() {
        return gpuDriver();
    }

    @Override
    protected Scale scale() {
        return device.info().name().contains("emulator") ? new Scale(5, 70, 40, 97, 40)
                : new Scale(64, 2048, 2048, 8192, 4096);
    }

    /** The driver {@link CudaBinding} probed, or the test is skipped with the reason there is none. */
    static CudaDriver gpuDriver() {
        CudaBinding.availability();
        CudaProbe.Outcome o = CudaBinding.outcome();
        Assumptions.assumeTrue(o instanceof CudaProbe.Ready, () -> "no usable CUDA device: "
                + o.availability().detail());
        return ((CudaProbe.Ready) o).driver();
    }
}
