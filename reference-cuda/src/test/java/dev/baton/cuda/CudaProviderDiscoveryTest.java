package dev.baton.cuda;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.ProviderStatus;
import dev.baton.api.VirtualClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The CUDA provider is found through its services registration, and where it cannot run it says why. */
class CudaProviderDiscoveryTest {

    private static ProviderStatus cuda() {
        return Accelerators.discover().stream().filter(s -> s.name().equals(CudaAcceleratorProvider.NAME))
                .findFirst().orElseThrow(() -> new AssertionError("cuda provider not discovered"));
    }

    @Test
    void the_cuda_provider_is_discovered_next_to_sim() {
        ProviderStatus s = cuda();
        assertThat(s.provider()).isInstanceOf(CudaAcceleratorProvider.class);
        assertThat(s.description()).contains("CUDA");
        assertThat(Accelerators.discover()).extracting(ProviderStatus::name).contains("sim", "cuda");
    }

    @Test
    void where_it_is_unavailable_the_listing_gives_a_reason() {
        ProviderStatus s = cuda();
        assumeFalse(s.availability().isAvailable(), "a CUDA device is available here");
        assertThat(s.availability().detail()).isNotBlank();
    }

    @Test
    void opening_it_where_it_is_unavailable_throws_with_that_reason() {
        ProviderStatus s = cuda();
        assumeFalse(s.availability().isAvailable(), "a CUDA device is available here");
        AcceleratorConfig cfg = AcceleratorConfig.builder().clock(new VirtualClock()).build();
        assertThatThrownBy(() -> Accelerators.open("cuda", cfg))
                .isExactlyInstanceOf(AcceleratorUnavailableException.class)
                .hasMessageContaining("'cuda' is unavailable")
                .hasMessageContaining(s.availability().detail())
                .satisfies(e -> assertThat(((AcceleratorUnavailableException) e).provider()).isEqualTo("cuda"));
    }
}
