package dev.baton.cuda.driver;

import dev.baton.accelerator.DeviceException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Result codes have their cuda.h names; failed calls become typed exceptions that say which call and which error. */
class CuResultTest {

    @Test
    @DisplayName("codes map to their CUDA 13 names; an unknown code says so")
    void names() {
        assertThat(CuResult.name(0)).isEqualTo("CUDA_SUCCESS");
        assertThat(CuResult.name(2)).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
        assertThat(CuResult.name(34)).isEqualTo("CUDA_ERROR_STUB_LIBRARY");
        assertThat(CuResult.name(35)).isEqualTo("CUDA_ERROR_INSUFFICIENT_DRIVER");
        assertThat(CuResult.name(100)).isEqualTo("CUDA_ERROR_NO_DEVICE");
        assertThat(CuResult.name(222)).isEqualTo("CUDA_ERROR_UNSUPPORTED_PTX_VERSION");
        assertThat(CuResult.name(700)).isEqualTo("CUDA_ERROR_ILLEGAL_ADDRESS");
        assertThat(CuResult.name(123456)).isEqualTo("CUresult(123456)");
        assertThat(CuResult.isKnown(123456)).isFalse();
        assertThat(CuResult.all()).hasSizeGreaterThan(100);
    }

    @Test
    @DisplayName("a failed call is a DeviceException naming the symbol and the error; sticky errors are fatal")
    void exceptions() {
        CudaException oom = new CudaException("cuMemAlloc_v2", 2, "1073741824 bytes");
        assertThat(oom).isInstanceOf(DeviceException.class)
                .hasMessage("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): 1073741824 bytes");
        assertThat(oom.call()).isEqualTo("cuMemAlloc_v2");
        assertThat(oom.code()).isEqualTo(2);
        assertThat(oom.errorName()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
        assertThat(oom.isFatal()).as("out of memory leaves the context usable").isFalse();
        CudaException crash = new CudaException("cuStreamSynchronize", 700);
        assertThat(crash.isFatal()).as("an illegal address poisons the context").isTrue();
        assertThat(crash).hasMessage("cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)");
        assertThat(CuResult.isSticky(719)).isTrue();
        assertThat(CuResult.isSticky(1)).isFalse();
    }
}
