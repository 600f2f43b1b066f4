package dev.baton.scheduler;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.api.Clock;
import dev.baton.api.Engine;
import dev.baton.kv.KvCacheConfig;
import dev.baton.kv.KvCacheManager;
import dev.baton.scheduler.admission.AdmissionContext;
import dev.baton.scheduler.admission.AdmissionPolicy;
import dev.baton.scheduler.admission.BasicAdmission;
import dev.baton.scheduler.cache.ResultCache;
import dev.baton.scheduler.compose.BatchComposer;
import dev.baton.scheduler.core.StepScheduler;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.engine.ThreadedEngine;
import dev.baton.scheduler.metrics.MetricsSink;
import dev.baton.scheduler.preemption.VictimSelector;
import dev.baton.scheduler.queue.FcfsQueue;
import dev.baton.scheduler.queue.RequestQueue;
import dev.baton.scheduler.queue.StrictPriorityQueue;
import dev.baton.scheduler.spec.SpeculativeConfig;
import dev.baton.scheduler.spec.SpeculativeDecoder;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Builds engines: opens the accelerator, sizes the KV cache from its memory, and wires scheduler, admission and
 * metrics together.
 *
 * <pre>{@code
 * try (Engine engine = Engines.builder().device("sim:h100/llama-3.1-8b").build()) {
 *     Submission s = engine.submit(InferenceRequest.withPrompt(1, 2, 3).maxTokens(32).build()).orThrow();
 *     Completion c = s.completion().join();
 * }
 * }</pre>
 */
public final class Engines {

    private Engines() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Engine assembly; every part has a default. */
    public static final class Builder {
        private String device = Accelerators.DEFAULT_PROVIDER;
        private AcceleratorConfig acceleratorConfig;
        private Accelerator accelerator;
        private EngineConfig config = EngineConfig.builder().build();
        // Parts set explicitly (null: the policy's, else the default); see policy().
        private Supplier<RequestQueue> queue;
        private VictimSelector victims;
        private Supplier<BatchComposer> composer;
        private AdmissionPolicy admission;
        private SchedulingPolicy policy;
        private ResultCache resultCache;
        private MetricsSink metrics = MetricsSink.NONE;
        private Executor deliveryExecutor;
        private Clock clock;
        private Consumer<KvCacheConfig.Builder> kvCustomizer = b -> { };
        private SpeculativeConfig speculative;

        private Builder() {
        }

        /** The device spec {@code provider[:profile]}, e.g. {@code sim:h100/llama-3.1-8b} or {@code cpu}. */
        public Builder device(String spec) {
            this.device = Objects.requireNonNull(spec, "device");
            return this;
        }

        /** How to open the device (block size, memory fraction, host tier, options). */
        public Builder acceleratorConfig(AcceleratorConfig config) {
            this.acceleratorConfig = config;
            return this;
        }

        /** An already opened device (the builder then opens none). */
        public Builder accelerator(Accelerator accelerator) {
            this.accelerator = accelerator;
            return this;
        }

        public Builder config(EngineConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** FCFS with last-admitted victims (vLLM's default). */
        public Builder fcfs() {
            this.queue = FcfsQueue::new;
            this.victims = VictimSelector.lastAdmitted();
            return this;
        }

        /** Strict priority with lowest-priority victims (vLLM's {@code --scheduling-policy priority}). */
        public Builder priority() {
            this.queue = StrictPriorityQueue::new;
            this.victims = VictimSelector.lowestPriority();
            return this;
        }

        /**
         * A complete scheduling policy (queue, composer, victim selector and admission, assembled once the device is
         * open), e.g. {@code SchedulingPolicies.named("slo", options)}. It replaces those four parts; a part set
         * after this call overrides the policy's.
         */
        public Builder policy(SchedulingPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.queue = null;
            this.composer = null;
            this.victims = null;
            this.admission = null;
            return this;
        }

        /**
         * An exact-match cache of finished deterministic completions, consulted on the submit path (off by default).
         * Only engines built with {@link #build()} / {@link #buildThreaded()} use it.
         */
        public Builder resultCache(ResultCache cache) {
            this.resultCache = cache;
            return this;
        }

        /** A custom waiting-queue policy. */
        public Builder queue(Supplier<RequestQueue> queue) {
            this.queue = Objects.requireNonNull(queue, "queue");
            return this;
        }

        /** How each step's token budget is sized and shared (default: vLLM's fixed budget). */
        public Builder composer(Supplier<BatchComposer> composer) {
            this.composer = Objects.requireNonNull(composer, "composer");
            return this;
        }

        public Builder victims(VictimSelector victims) {
            this.victims = Objects.requireNonNull(victims, "victims");
            return this;
        }

        public Builder admission(AdmissionPolicy admission) {
            this.admission = Objects.requireNonNull(admission, "admission");
            return this;
        }

        public Builder metrics(MetricsSink metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /** Where token subscribers' callbacks run (default: the engine's delivery thread). */
        public Builder deliveryExecutor(Executor executor) {
            this.deliveryExecutor = executor;
            return this;
        }

        /** The engine clock (default: the accelerator config's, else the system clock). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Adjusts the KV cache configuration (eviction and offload policies, hash algorithm, events). */
        public Builder kvCache(Consumer<KvCacheConfig.Builder> customizer) {
            this.kvCustomizer = Objects.requireNonNull(customizer, "customizer");
            return this;
        }

        /**
         * Speculative decoding: a proposer and a draft-length policy (see {@link SpeculativeDecoder}); null turns it
         * off. Needs synchronous scheduling. The configuration's proposer and policy serve this one engine.
         */
        public Builder speculative(SpeculativeConfig speculative) {
            this.speculative = speculative;
            return this;
        }

        /** The single-threaded core, for simulations that drive steps themselves. */
        public EngineCore buildCore() {
            Accelerator dev = openDevice();
            Clock c = clock != null ? clock : acceleratorConfig != null ? acceleratorConfig.clock() : Clock.system();
            KvCacheLayout layout = dev.kvLayout();
            KvCacheConfig.Builder kb = KvCacheConfig.builder()
                    .blockSize(layout.blockSize())
                    .numDeviceBlocks(layout.numDeviceBlocks())
                    .numHostBlocks(layout.numHostBlocks())
                    .enablePrefixCaching(config.enablePrefixCaching())
                    .hashSeed(config.seed())
                    .clock(c);
            kvCustomizer.accept(kb);
            KvCacheManager kv = KvCacheManager.create(kb.build());
            int modelLen = dev.model().maxModelLen();
            int maxModelLen = config.maxModelLen() > 0 ? Math.min(config.maxModelLen(), modelLen) : modelLen;
            if (!config.enableChunkedPrefill() && config.maxNumBatchedTokens() < maxModelLen) {
                throw new IllegalArgumentException("without chunked prefill, max-num-batched-tokens ("
                        + config.maxNumBatchedTokens() + ") must be at least max-model-len (" + maxModelLen
                        + "); enable chunked prefill or lower max-model-len");
            }
            SchedulingPolicy.Parts parts = policy == null ? null : policy.assemble(new EngineSetup(config,
                    dev.costModel(), c, maxModelLen, layout.blockSize(), layout.numDeviceBlocks() - 1));
            RequestQueue q = queue != null ? queue.get() : parts != null ? parts.queue() : new FcfsQueue();
            BatchComposer bc = composer != null ? composer.get() : parts != null ? parts.composer()
                    : BatchComposer.vllm();
            VictimSelector vs = victims != null ? victims : parts != null ? parts.victims()
                    : VictimSelector.lastAdmitted();
            AdmissionPolicy ap = admission != null ? admission : parts != null ? parts.admission()
                    : new BasicAdmission();
            StepScheduler scheduler = new StepScheduler(config, kv, q, vs, bc, c, maxModelLen,
                    dev.model().eosTokenId(), kv.config().groups().size());
            AdmissionContext ctx = new AdmissionContext(c, maxModelLen, dev.model().vocabSize(), layout.blockSize(),
                    layout.numDeviceBlocks() - 1, config.maxQueuedRequests(), config.maxQueuedTokens(),
                    dev.costModel());
            if (speculative != null && config.asyncScheduling()) {
                throw new IllegalArgumentException("speculative decoding needs synchronous scheduling: drafts are "
                        + "proposed from the tokens of the step before; set asyncScheduling(false) or drop "
                        + "speculative(...)");
            }
            SpeculativeDecoder spec = speculative == null ? null : new SpeculativeDecoder(speculative, scheduler, dev);
            return new EngineCore(config, scheduler, dev, c, ctx, ap, metrics, spec);
        }

        /** A running engine on its own thread. */
        public Engine build() {
            return buildThreaded();
        }

        /** A running engine, typed for inspection. */
        public ThreadedEngine buildThreaded() {
            EngineCore core = buildCore();
            return new ThreadedEngine(core, core.admissionPolicy(), metrics, deliveryExecutor, resultCache);
        }

        private Accelerator openDevice() {
            if (accelerator != null) {
                return accelerator;
            }
            AcceleratorConfig ac = acceleratorConfig != null ? acceleratorConfig : AcceleratorConfig.builder()
                    .clock(clock != null ? clock : Clock.system())
                    .maxNumBatchedTokens(config.maxNumBatchedTokens())
                    .build();
            return Accelerators.open(device, ac);
        }
    }
}
