package dev.baton.scheduler.engine;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.api.Completion;
import dev.baton.api.FinishReason;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** RTR-4 through the threaded engine's submit path, in virtual time. */
class QueueTimeoutEngineTest {

    @Test
    @DisplayName("RTR-4: the threaded engine applies the shorter of default and per-request timeout (only shortens)")
    void engineAppliesTheShorterTimeout() throws Exception {
        VirtualClock clock = new VirtualClock();
        FaultyAccelerator dev = new FaultyAccelerator(Accelerators.open("sim:h100/llama-3.1-8b",
                AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(2000).build()), 1);
        // The first step waits until all three requests are in, so all arrive at virtual time 0.
        CountDownLatch hold = dev.stallNextStep();
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(1).maxNumBatchedTokens(256)
                .defaultQueueTimeout(Duration.ofMillis(200)).build();
        try (ThreadedEngine engine = Engines.builder().accelerator(dev).clock(clock).config(cfg).buildThreaded()) {
            // Holds the only seat for ~100 s of virtual time.
            var busy = engine.submit(InferenceRequest.withPrompt(new int[16]).sampling(SamplingParams.greedy(10_000))
                    .build()).orThrow();
            var shorter = engine.submit(InferenceRequest.withPrompt(new int[16]).queueTimeout(Duration.ofMillis(50))
                    .build()).orThrow();
            var longer = engine.submit(InferenceRequest.withPrompt(new int[16]).queueTimeout(Duration.ofMillis(500))
                    .build()).orThrow();
            hold.countDown();
            Completion s = shorter.completion().get(60, TimeUnit.SECONDS);
            Completion l = longer.completion().get(60, TimeUnit.SECONDS);
            busy.cancel();
            assertThat(s.finishReason()).isEqualTo(FinishReason.QUEUE_TIMEOUT);
            assertThat(l.finishReason()).isEqualTo(FinishReason.QUEUE_TIMEOUT);
            // Timers fire at the first step boundary past the deadline; a decode step here is ~10 ms.
            assertThat(s.timings().e2eNanos()).as("50 ms override applies")
                    .isBetween(Duration.ofMillis(50).toNanos(), Duration.ofMillis(100).toNanos());
            assertThat(l.timings().e2eNanos()).as("500 ms override does not: the 200 ms default applies")
                    .isBetween(Duration.ofMillis(200).toNanos(), Duration.ofMillis(250).toNanos());
        }
    }
}
