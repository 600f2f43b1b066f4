package dev.baton.scheduler.engine;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.Completion;
import dev.baton.api.FinishReason;
import dev.baton.api.SampleOutput;
import dev.baton.api.ShutdownMode;
import dev.baton.api.Submission;
import dev.baton.api.admission.Admission;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Eight producer threads submit, stream and cancel at random while the engine is shut down in the middle: every
 * submission gets exactly one terminal outcome, and the token stream of every request is complete and in order.
 */
class EngineConcurrencyTest {

    record Outcome(Admission admission, RecordingSubscriber subscriber, boolean cancelled) {
    }

    @ParameterizedTest
    @EnumSource(ShutdownMode.class)
    @DisplayName("8 producers, random cancels and a shutdown: one terminal outcome per submission, ordered streams")
    void stress(ShutdownMode mode) throws Exception {
        ThreadedEngine engine = Engines.builder()
                .device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().numGpuBlocksOverride(400).build())
                .config(EngineConfig.builder().maxNumSeqs(32).maxNumBatchedTokens(512).maxQueuedRequests(500)
                        .asyncScheduling(mode == ShutdownMode.DRAIN).build())
                .buildThreaded();
        int producers = 8;
        int perProducer = 150;
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch halfway = new CountDownLatch(producers * perProducer / 2);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int seed = p;
            Thread t = new Thread(() -> {
                Random rnd = new Random(seed);
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perProducer; i++) {
                    int[] prompt = new int[1 + rnd.nextInt(200)];
                    for (int k = 0; k < prompt.length; k++) {
                        prompt[k] = rnd.nextInt(1000);
                    }
                    InferenceRequest r = InferenceRequest.withPrompt(prompt)
                            .sampling(SamplingParams.greedy(1 + rnd.nextInt(40)))
                            .parallelSamples(rnd.nextInt(10) == 0 ? 2 : 1).build();
                    Admission a = engine.submit(r);
                    RecordingSubscriber sub = null;
                    boolean cancelled = false;
                    if (a instanceof Admission.Accepted acc) {
                        sub = new RecordingSubscriber(1 + rnd.nextInt(8));
                        acc.submission().tokens().subscribe(sub);
                        if (rnd.nextInt(5) == 0) {
                            cancelled = acc.submission().cancel();
                        }
                    }
                    outcomes.add(new Outcome(a, sub, cancelled));
                    halfway.countDown();
                }
            });
            t.start();
            threads.add(t);
        }
        start.countDown();
        assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
        engine.shutdown(mode).get(60, TimeUnit.SECONDS);
        for (Thread t : threads) {
            t.join(60_000);
        }

        assertThat(outcomes).hasSize(producers * perProducer);
        int accepted = 0;
        for (Outcome o : outcomes) {
            if (!(o.admission() instanceof Admission.Accepted acc)) {
                assertThat(((Admission.Rejected) o.admission()).rejection().message()).isNotBlank();
                continue;
            }
            accepted++;
            Submission s = acc.submission();
            Completion c = s.completion().get(30, TimeUnit.SECONDS);
            assertThat(o.subscriber().done.await(30, TimeUnit.SECONDS)).as("stream of %s completes", c.requestId())
                    .isTrue();
            assertThat(o.subscriber().violations).isEmpty();
            assertThat(o.subscriber().completions.get()).isEqualTo(1);
            for (SampleOutput so : c.samples()) {
                assertThat(o.subscriber().sample(so.index())).as("stream equals completion of %s", c.requestId())
                        .containsExactlyElementsOf(boxed(so.tokens()));
                if (so.finishReason() == FinishReason.LENGTH) {
                    assertThat(so.numTokens()).isPositive();
                }
            }
            if (o.cancelled()) {
                assertThat(c.samples()).anyMatch(so -> so.finishReason() == FinishReason.CANCELLED);
            }
            if (mode == ShutdownMode.DRAIN) {
                assertThat(c.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP, FinishReason.CANCELLED);
            }
        }
        assertThat(accepted).isPositive();
        EngineCore core = engine.core();
        assertThat(core.scheduler().kv().numFreeBlocks()).as("every block is back in the pool")
                .isEqualTo(core.device().kvLayout().numDeviceBlocks() - 1);
        assertThat(core.admission().queuedRequests()).isZero();
        engine.close();
    }

    private static List<Integer> boxed(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int x : a) {
            l.add(x);
        }
        return l;
    }

}
