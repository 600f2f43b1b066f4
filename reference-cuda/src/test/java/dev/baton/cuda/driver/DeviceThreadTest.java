package dev.baton.cuda.driver;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** All driver calls of a device run on one named platform thread, whoever hands them over. */
class DeviceThreadTest {

    @Test
    @DisplayName("every task runs on the same platform (not virtual) daemon thread, from any caller")
    void oneThreadForEveryCaller() throws Exception {
        try (DeviceThread t = new DeviceThread("baton-cuda-device-test")) {
            Set<Thread> seen = new HashSet<>();
            ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
            Future<?>[] f = new Future<?>[16];
            for (int i = 0; i < f.length; i++) {
                f[i] = callers.submit(() -> {
                    Thread worker = t.call(Thread::currentThread);
                    synchronized (seen) {
                        seen.add(worker);
                    }
                });
            }
            for (Future<?> x : f) {
                x.get();
            }
            callers.shutdown();
            assertThat(seen).hasSize(1);
            Thread worker = seen.iterator().next();
            assertThat(worker.isVirtual()).isFalse();
            assertThat(worker.isDaemon()).isTrue();
            assertThat(worker.getName()).isEqualTo("baton-cuda-device-test");
            assertThat(t.isCurrent()).isFalse();
            assertThat(t.call(t::isCurrent)).isTrue();
        }
    }

    @Test
    @DisplayName("exceptions reach the caller unwrapped; a nested call runs inline instead of deadlocking")
    void exceptionsAndNesting() {
        try (DeviceThread t = new DeviceThread("baton-cuda-device-test")) {
            CudaException e = new CudaException("cuInit", 100);
            assertThatThrownBy(() -> t.run(() -> {
                throw e;
            })).isSameAs(e);
            assertThat(t.call(() -> t.call(() -> 42))).isEqualTo(42);
            assertThatThrownBy(() -> t.call(() -> {
                throw new java.io.IOException("io");
            })).isInstanceOf(IllegalStateException.class).hasRootCauseMessage("io");
        }
    }

    @Test
    @DisplayName("an interrupted caller still waits for its driver call, then keeps its interrupt")
    void interruptKeepsWaiting() {
        try (DeviceThread t = new DeviceThread("baton-cuda-device-test")) {
            Thread.currentThread().interrupt();
            int v = t.call(() -> {
                Thread.sleep(50);
                return 7;
            });
            assertThat(v).isEqualTo(7);
            assertThat(Thread.interrupted()).isTrue();
        }
    }
}
