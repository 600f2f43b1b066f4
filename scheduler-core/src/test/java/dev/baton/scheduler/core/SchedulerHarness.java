package dev.baton.scheduler.core;

import dev.baton.api.FinishReason;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.kv.KvCacheConfig;
import dev.baton.kv.KvCacheManager;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.preemption.VictimSelector;
import dev.baton.scheduler.queue.FcfsQueue;
import dev.baton.scheduler.queue.RequestQueue;
import dev.baton.scheduler.queue.StrictPriorityQueue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A scheduler with a real KV manager and a hand-driven "device": the Java counterpart of vLLM's
 * {@code tests/v1/core/utils.py::create_scheduler}. Tests call {@link #schedule()} and feed model outputs with
 * {@link #output}. Request ids are strings; parallel samples {@code k > 0} appear as {@code "id#k"}.
 */
final class SchedulerHarness implements SequenceListener {
    static final int EOS = 50256;
    static final int VOCAB = 60000;

    final VirtualClock clock = new VirtualClock();
    final KvCacheManager kv;
    final StepScheduler scheduler;
    final EngineConfig config;
    final Map<String, Request> requests = new LinkedHashMap<>();
    final List<Sequence> finished = new ArrayList<>();
    private final ScheduledStep[] steps = {new ScheduledStep(1), new ScheduledStep(1)};
    private int next;
    private long arrivals;

    private SchedulerHarness(EngineConfig config, KvCacheConfig kvConfig, RequestQueue queue, VictimSelector victims,
                             int maxModelLen) {
        this.config = config;
        this.kv = KvCacheManager.create(kvConfig);
        this.scheduler = new StepScheduler(config, kv, queue, victims, clock, maxModelLen, EOS, 1);
    }

    /** A scheduler over an explicit KV configuration (host tier, caching) with FCFS. */
    static SchedulerHarness with(Consumer<EngineConfig.Builder> tweak, KvCacheConfig kvConfig) {
        EngineConfig.Builder b = EngineConfig.builder().maxNumSeqs(16).maxNumBatchedTokens(8192).resumeWatermark(0);
        tweak.accept(b);
        EngineConfig cfg = b.enablePrefixCaching(kvConfig.enablePrefixCaching()).build();
        return new SchedulerHarness(cfg, kvConfig, new FcfsQueue(), VictimSelector.lastAdmitted(), modelLen(cfg));
    }

    long nextArrival() {
        return ++arrivals;
    }

    /** vLLM's create_scheduler defaults: 16 seqs, 8192 tokens, 10000 blocks of 16, chunked prefill, caching on. */
    static SchedulerHarness fcfs(Consumer<EngineConfig.Builder> tweak, int numBlocks, int blockSize,
                                 boolean prefixCaching) {
        EngineConfig.Builder b = EngineConfig.builder().maxNumSeqs(16).maxNumBatchedTokens(8192).resumeWatermark(0);
        tweak.accept(b);
        EngineConfig cfg = b.enablePrefixCaching(prefixCaching).build();
        return new SchedulerHarness(cfg, kvConfig(numBlocks, blockSize, prefixCaching), new FcfsQueue(),
                VictimSelector.lastAdmitted(), modelLen(cfg));
    }

    static SchedulerHarness fcfs(Consumer<EngineConfig.Builder> tweak) {
        return fcfs(tweak, 10000, 16, true);
    }

    /** vLLM's create_scheduler_with_priority: priority queue, watermark 0, prefix caching off. */
    static SchedulerHarness priority(Consumer<EngineConfig.Builder> tweak, int numBlocks, int blockSize) {
        EngineConfig.Builder b = EngineConfig.builder().maxNumSeqs(16).maxNumBatchedTokens(8192).resumeWatermark(0);
        tweak.accept(b);
        EngineConfig cfg = b.enablePrefixCaching(false).build();
        return new SchedulerHarness(cfg, kvConfig(numBlocks, blockSize, false), new StrictPriorityQueue(),
                VictimSelector.lowestPriority(), modelLen(cfg));
    }

    /** The configured model length, else 8192 (or the budget without chunked prefill, as vLLM requires). */
    static int modelLen(EngineConfig cfg) {
        if (cfg.maxModelLen() > 0) {
            return cfg.maxModelLen();
        }
        return cfg.enableChunkedPrefill() ? Math.max(8192, cfg.maxNumBatchedTokens()) : cfg.maxNumBatchedTokens();
    }

    static KvCacheConfig kvConfig(int numBlocks, int blockSize, boolean prefixCaching) {
        return KvCacheConfig.builder().numDeviceBlocks(numBlocks).blockSize(blockSize)
                .enablePrefixCaching(prefixCaching).build();
    }

    /** Prompt of {@code len} copies of {@code fill} (vLLM's create_requests: request i's prompt is i repeated). */
    static int[] prompt(int len, int fill) {
        int[] p = new int[len];
        java.util.Arrays.fill(p, fill);
        return p;
    }

    Request add(String id, int[] prompt, SamplingParams sampling) {
        return add(id, prompt, sampling, 0, ++arrivals);
    }

    Request add(String id, int[] prompt, SamplingParams sampling, int priority, long arrivalSeq) {
        return add(InferenceRequest.withPrompt(prompt).requestId(id).sampling(sampling).priority(priority).build(),
                arrivalSeq, 0);
    }

    Request add(InferenceRequest r, long arrivalSeq, int loraSlot) {
        String id = r.requestId();
        Request req = new Request(id, r, clock.nanoTime(), arrivalSeq, 42, loraSlot, Long.MAX_VALUE, Long.MAX_VALUE,
                this);
        requests.put(id, req);
        scheduler.add(req);
        return req;
    }

    /** n requests "0".."n-1" of {@code len} tokens each (request i's prompt is i repeated), maxTokens 16. */
    List<Request> addMany(int n, int len) {
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(add(String.valueOf(i), prompt(len, i), SamplingParams.greedy(16)));
        }
        return out;
    }

    ScheduledStep schedule() {
        ScheduledStep s = steps[next];
        next ^= 1;
        return scheduler.schedule(s);
    }

    static String key(Sequence seq) {
        return seq.sampleIndex() == 0 ? seq.request().id() : seq.request().id() + "#" + seq.sampleIndex();
    }

    /** Tokens each scheduled sequence computes in {@code step}, by key, in plan order. */
    static Map<String, Integer> tokens(ScheduledStep step) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < step.numSeqs(); i++) {
            m.put(key(step.seq(i)), step.numTokens(i));
        }
        return m;
    }

    /** Applies a model output: {@code sampled} maps keys to sampled tokens; missing keys sample nothing. */
    void output(ScheduledStep step, Map<String, int[]> sampled) {
        StepResult result = new StepResult(VOCAB, 0);
        result.reset(step.plan());
        for (int i = 0; i < step.numSeqs(); i++) {
            int[] t = sampled.get(key(step.seq(i)));
            if (t != null) {
                for (int token : t) {
                    result.addSampled(i, token);
                }
            }
        }
        scheduler.apply(step, result);
    }

    /** Applies an output in which every sequence whose step samples gets {@code token}. */
    void outputAll(ScheduledStep step, int token) {
        StepResult result = new StepResult(VOCAB, 0);
        result.reset(step.plan());
        StepPlan plan = step.plan();
        for (int i = 0; i < step.numSeqs(); i++) {
            if (plan.samples(i)) {
                result.addSampled(i, token);
            }
        }
        scheduler.apply(step, result);
    }

    Sequence seq(String id) {
        return requests.get(id).sample(0);
    }

    List<String> runningKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < scheduler.numRunning(); i++) {
            keys.add(key(scheduler.get(i)));
        }
        return keys;
    }

    List<String> waitingKeys() {
        List<String> keys = new ArrayList<>();
        for (Sequence s : scheduler.waitingQueue()) {
            keys.add(key(s));
        }
        return keys;
    }

    void abort(String id) {
        scheduler.abort(requests.get(id), FinishReason.CANCELLED);
    }

    @Override
    public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
    }

    @Override
    public void sequenceFinished(Sequence seq, long nowNanos) {
        finished.add(seq);
    }
}
