package dev.baton.cuda;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Availability;
import dev.baton.api.VirtualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The Java 17 provider's own logic: the JDK check (with fake JDK versions), finding the JDK 22 binding, and turning a
 * failing binding into a reason. On this JDK it delegates to the real binding, which reports why it cannot run here.
 */
class CudaAcceleratorProviderTest {

    /** A binding whose probe throws, standing in for a broken installation. */
    public static final class ThrowingBinding {
        public static Availability availability() {
            throw new IllegalStateException("probe boom");
        }
    }

    /** A binding that answers null. */
    public static final class NullBinding {
        public static Availability availability() {
            return null;
        }
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 18, 21})
    @DisplayName("before JDK 22 the provider is unavailable, names the JDK it runs on and never loads the binding")
    void oldJdks(int jdk) {
        Availability a = CudaAcceleratorProvider.availability(jdk, "no.such.Binding");
        assertThat(a.isAvailable()).isFalse();
        assertThat(a.detail()).isEqualTo("needs JDK 22+ (the Foreign Function and Memory API), running JDK " + jdk
                + ": run Baton on JDK 22 or newer to use the CUDA binding");
    }

    @Test
    @DisplayName("on JDK 22+ without the jar's versioned part, the provider says the multi-release jar is broken")
    void missingVersionedPart() {
        Availability a = CudaAcceleratorProvider.availability(25, "dev.baton.cuda.device.NoSuchBinding");
        assertThat(a.isAvailable()).isFalse();
        assertThat(a.detail()).contains("META-INF/versions/22", "Multi-Release: true");
    }

    @Test
    @DisplayName("a binding that throws or answers nothing becomes a reason, not an exception")
    void brokenBindings() {
        assertThat(CudaAcceleratorProvider.availability(25, ThrowingBinding.class.getName()).detail())
                .isEqualTo("the CUDA binding failed to probe: java.lang.IllegalStateException: probe boom");
        assertThat(CudaAcceleratorProvider.availability(25, NullBinding.class.getName()).detail())
                .isEqualTo("the CUDA binding returned no availability");
    }

    @Test
    @DisplayName("on this JDK the real binding answers; where it cannot run, opening throws with its reason")
    void realBinding() {
        CudaAcceleratorProvider p = new CudaAcceleratorProvider();
        Availability a = p.availability();
        assertThat(a.detail()).isNotBlank();
        assertThat(p.availability()).as("probed once, answered the same").isEqualTo(a);
        assumeFalse(a.isAvailable(), "a CUDA device is available here");
        assertThat(a.detail()).doesNotContain("needs JDK");
        AcceleratorConfig cfg = AcceleratorConfig.builder().clock(new VirtualClock()).build();
        assertThatThrownBy(() -> p.open(cfg)).isInstanceOf(AcceleratorUnavailableException.class)
                .hasMessageContaining(a.detail());
    }
}
