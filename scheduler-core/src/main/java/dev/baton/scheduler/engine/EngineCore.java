package dev.baton.scheduler.engine;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.DeviceException;
import dev.baton.api.Clock;
import dev.baton.api.FinishReason;
import dev.baton.api.plan.StepResult;
import dev.baton.kv.KvCacheStats;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.admission.AdmissionContext;
import dev.baton.scheduler.admission.AdmissionPolicy;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.ScheduledStep;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;
import dev.baton.scheduler.core.StepScheduler;
import dev.baton.scheduler.metrics.LatencyStats;
import dev.baton.scheduler.metrics.MetricsSink;
import dev.baton.scheduler.metrics.VllmMetrics;
import dev.baton.scheduler.spec.SpecDecodeMetrics;
import dev.baton.scheduler.spec.SpeculativeDecoder;

/**
 * The engine's single-threaded heart: drives a {@link StepScheduler} and an {@link Accelerator} one step at a time,
 * fires request timers, and records metrics. {@link ThreadedEngine} runs it on a dedicated thread behind lock-free
 * ingress; a simulation drives it directly on a virtual clock ({@link #submit}, {@link #step}).
 *
 * <h2>Stepping</h2>
 * Synchronous: plan, launch, await, apply. One-step-ahead ({@code async-scheduling}): plan step N+1 while the device
 * runs step N, then await N, launch N+1 at once, and apply N while N+1 runs -- the device never waits for the
 * scheduler (vLLM's AsyncScheduler, SGLang's overlap scheduler). Tokens sampled by N are placeholders in N+1's plan.
 *
 * <h2>Speculative decoding</h2>
 * With a {@link SpeculativeDecoder} (synchronous stepping only), each step calls it at two marked points: after the
 * result is applied, to propose the next step's drafts, and before the next plan is launched, to attach draft
 * distributions to it. Speculative-decoding counters are published under vLLM's names whether or not drafts come from
 * the decoder.
 *
 * <h2>Faults</h2>
 * A {@link RuntimeException} from the device fails the step: its requests end with DEVICE_ERROR (or are requeued, by
 * policy), a step planned behind it is abandoned and its requests requeued, and no block leaks. A fatal device error
 * ends every request. The engine thread itself never dies of a device error.
 *
 * <p>Confined to one thread at a time (the engine thread); {@link #stepStartedNanos()} may be read by a watchdog.
 */
public final class EngineCore implements SequenceListener {

    private final EngineConfig cfg;
    private final StepScheduler scheduler;
    private final Accelerator device;
    private final Clock clock;
    private final AdmissionContext admission;
    private final AdmissionPolicy admissionPolicy;
    private final MetricsSink metrics;
    private final LatencyStats latency = new LatencyStats();
    private final TimerHeap timers = new TimerHeap();
    private final ScheduledStep stepA;
    private final ScheduledStep stepB;
    private final StepResult result;
    /** Speculative-decoding coordination, or null without speculation. */
    private final SpeculativeDecoder speculative;
    private final SpecDecodeMetrics specMetrics = new SpecDecodeMetrics();

    private ScheduledStep inFlight;
    private volatile long stepStartedNanos = -1;
    private volatile boolean fatal;
    private long steps;
    private long failedSteps;
    private long lastPreemptions;
    private long lastQueried;
    private long lastHits;
    private long finishedRequests;

    public EngineCore(EngineConfig cfg, StepScheduler scheduler, Accelerator device, Clock clock,
                      AdmissionContext admission, AdmissionPolicy admissionPolicy, MetricsSink metrics) {
        this(cfg, scheduler, device, clock, admission, admissionPolicy, metrics, null);
    }

    /**
     * @param speculative speculative-decoding coordination over {@code scheduler} and {@code device}, or null
     * @throws IllegalArgumentException if {@code speculative} is given with one-step-ahead scheduling
     */
    public EngineCore(EngineConfig cfg, StepScheduler scheduler, Accelerator device, Clock clock,
                      AdmissionContext admission, AdmissionPolicy admissionPolicy, MetricsSink metrics,
                      SpeculativeDecoder speculative) {
        if (speculative != null && cfg.asyncScheduling()) {
            throw new IllegalArgumentException("speculative decoding needs synchronous scheduling; set "
                    + "asyncScheduling(false)");
        }
        this.speculative = speculative;
        this.cfg = cfg;
        this.scheduler = scheduler;
        this.device = device;
        this.clock = clock;
        this.admission = admission;
        this.admissionPolicy = admissionPolicy;
        this.metrics = metrics;
        int groups = scheduler.kv().config().groups().size();
        this.stepA = new ScheduledStep(groups);
        this.stepB = new ScheduledStep(groups);
        this.result = new StepResult(device.model().vocabSize(), device.maxProposals());
    }

    // ================================================================== requests

    /** Takes an admitted request (engine thread). Its admission reservation is released when it starts or ends. */
    public void submit(Request request) {
        if (request.isFinished()) {
            return; // cancelled before the engine thread saw it
        }
        if (request.deadlineNanos() != Long.MAX_VALUE) {
            timers.add(request.deadlineNanos(), request, TimerHeap.DEADLINE);
        }
        if (request.queueDeadlineNanos() != Long.MAX_VALUE) {
            timers.add(request.queueDeadlineNanos(), request, TimerHeap.QUEUE_TIMEOUT);
        }
        scheduler.add(request);
    }

    /** Ends a request now (cancellation, shutdown): its blocks are released before its listener hears of it. */
    public void abort(Request request, FinishReason reason) {
        if (!request.isFinished()) {
            scheduler.abort(request, reason);
        }
    }

    // ================================================================== stepping

    /**
     * Runs one engine iteration: fires due timers, plans, executes and applies a step (or, one step ahead, overlaps
     * them).
     *
     * @return whether anything happened (false: idle, nothing to schedule and nothing in flight)
     */
    public boolean step() {
        if (fatal) {
            return false;
        }
        fireTimers(clock.nanoTime());
        return cfg.asyncScheduling() ? stepAhead() : stepInOrder();
    }

    private boolean stepInOrder() {
        long t0 = System.nanoTime();
        ScheduledStep s = scheduler.schedule(stepA);
        if (s.isEmpty()) {
            return false;
        }
        if (speculative != null) {
            speculative.beforeLaunch(s); // [speculative decoding] draft distributions into the plan
        }
        long planNanos = System.nanoTime() - t0;
        result.reset(s.plan());
        try {
            stepStartedNanos = System.nanoTime();
            device.launch(s.plan());
            device.await(result);
        } catch (RuntimeException e) {
            stepStartedNanos = -1;
            onDeviceFailure(s, null, e);
            return true;
        }
        stepStartedNanos = -1;
        long t1 = System.nanoTime();
        scheduler.apply(s, result);
        if (speculative != null) {
            speculative.afterApply(s, result); // [speculative decoding] observe acceptance, propose the next drafts
        }
        afterStep(s, planNanos + System.nanoTime() - t1);
        return true;
    }

    private boolean stepAhead() {
        long t0 = System.nanoTime();
        ScheduledStep next = scheduler.schedule(inFlight == stepA ? stepB : stepA);
        long planNanos = System.nanoTime() - t0;
        if (inFlight == null) {
            if (next.isEmpty()) {
                return false;
            }
            try {
                stepStartedNanos = System.nanoTime();
                device.launch(next.plan());
            } catch (RuntimeException e) {
                stepStartedNanos = -1;
                onDeviceFailure(next, null, e);
                return true;
            }
            inFlight = next;
            afterPlanOnly(planNanos);
            return true;
        }
        ScheduledStep done = inFlight;
        ScheduledStep launched = next.isEmpty() ? null : next;
        result.reset(done.plan());
        try {
            device.await(result);
        } catch (RuntimeException e) {
            stepStartedNanos = -1;
            onDeviceFailure(done, launched, e);
            return true;
        }
        stepStartedNanos = -1;
        RuntimeException launchFailure = null;
        if (launched != null) {
            try {
                stepStartedNanos = System.nanoTime();
                device.launch(launched.plan());
            } catch (RuntimeException e) {
                stepStartedNanos = -1;
                launchFailure = e;
            }
        }
        inFlight = launchFailure == null ? launched : null;
        long t1 = System.nanoTime();
        scheduler.apply(done, result);
        afterStep(done, planNanos + System.nanoTime() - t1);
        if (launchFailure != null) {
            onDeviceFailure(launched, null, launchFailure);
        }
        return true;
    }

    private void onDeviceFailure(ScheduledStep failed, ScheduledStep abandoned, RuntimeException e) {
        failedSteps++;
        scheduler.failStep(failed, cfg.failurePolicy());
        if (abandoned != null) {
            scheduler.abandonStep(abandoned);
        }
        inFlight = null;
        if (e instanceof DeviceException de && de.isFatal()) {
            fatal = true;
        }
    }

    private void fireTimers(long now) {
        while (!timers.isEmpty() && timers.peekDue() <= now) {
            Request r = timers.peekRequest();
            byte kind = timers.peekKind();
            timers.pop();
            if (r.isFinished()) {
                continue;
            }
            if (kind == TimerHeap.DEADLINE) {
                scheduler.abort(r, FinishReason.DEADLINE_EXCEEDED);
            } else if (r.firstScheduledNanos() < 0 && !scheduler.delayExpired(r)) {
                scheduler.abort(r, FinishReason.QUEUE_TIMEOUT);
            }
        }
    }

    private void afterPlanOnly(long cpuNanos) {
        latency.record(LatencyStats.Kind.STEP_CPU, cpuNanos);
    }

    private void afterStep(ScheduledStep s, long cpuNanos) {
        steps++;
        latency.record(LatencyStats.Kind.STEP_CPU, cpuNanos);
        metrics.observe(VllmMetrics.SCHEDULER_STEP_SECONDS, cpuNanos * 1e-9);
        metrics.observe(VllmMetrics.ITERATION_TOKENS, s.totalTokens());
        int running = scheduler.numRunning();
        double usage = scheduler.kv().usage();
        metrics.gauge(VllmMetrics.NUM_REQUESTS_RUNNING, running);
        metrics.gauge(VllmMetrics.NUM_REQUESTS_WAITING, scheduler.numWaiting());
        metrics.gauge(VllmMetrics.KV_CACHE_USAGE_PERC, usage);
        long pre = scheduler.totalPreemptions();
        if (pre != lastPreemptions) {
            metrics.count(VllmMetrics.NUM_PREEMPTIONS, null, pre - lastPreemptions);
            lastPreemptions = pre;
        }
        KvCacheStats kvs = scheduler.kv().stats();
        if (kvs.queriedTokens() != lastQueried) {
            metrics.count(VllmMetrics.PREFIX_CACHE_QUERIES, null, kvs.queriedTokens() - lastQueried);
            metrics.count(VllmMetrics.PREFIX_CACHE_HITS, null, kvs.hitTokens() - lastHits);
            lastQueried = kvs.queriedTokens();
            lastHits = kvs.hitTokens();
        }
        admission.publishLoad(running, usage, scheduler.prefillBacklogTokens());
        admission.recordPrefill(clock.nanoTime(), s.numPrefillTokens(), s.prefillLeftTokens() > 0);
        specMetrics.publish(scheduler.specDecodeStats(), metrics);
    }

    // ================================================================== listener: metrics, then the embedding's listener

    @Override
    public void requestStarted(Request request, long now) {
        admissionPolicy.onStarted(request.request(), admission);
        latency.record(LatencyStats.Kind.QUEUE, now - request.arrivalNanos());
        metrics.observe(VllmMetrics.REQUEST_QUEUE_TIME, (now - request.arrivalNanos()) * 1e-9);
        metrics.count(VllmMetrics.PROMPT_TOKENS, null, request.request().promptLength());
        if (request.attachment() instanceof SequenceListener l) {
            l.requestStarted(request, now);
        }
    }

    @Override
    public void tokensAppended(Sequence seq, int from, int count, long now) {
        Request r = seq.request();
        metrics.count(VllmMetrics.GENERATION_TOKENS, null, count);
        if (from == 0 && seq.sampleIndex() == 0) {
            long ttft = now - r.arrivalNanos();
            latency.record(LatencyStats.Kind.TTFT, ttft);
            metrics.observe(VllmMetrics.TIME_TO_FIRST_TOKEN, ttft * 1e-9);
        } else if (seq.previousTokenNanos() >= 0) {
            long itl = now - seq.previousTokenNanos();
            latency.record(LatencyStats.Kind.ITL, itl);
            metrics.observe(VllmMetrics.INTER_TOKEN_LATENCY, itl * 1e-9);
        }
        if (r.attachment() instanceof SequenceListener l) {
            l.tokensAppended(seq, from, count, now);
        }
    }

    @Override
    public void sequenceFinished(Sequence seq, long now) {
        if (speculative != null) {
            speculative.sequenceFinished(seq); // [speculative decoding] the proposer drops the sequence's state
        }
        Request r = seq.request();
        if (r.isFinished()) {
            finishedRequests++;
            boolean started = r.firstScheduledNanos() >= 0;
            admissionPolicy.onEnded(r.request(), started, admission);
            recordFinished(r, seq);
        }
        if (r.attachment() instanceof SequenceListener l) {
            l.sequenceFinished(seq, now);
        }
    }

    private void recordFinished(Request r, Sequence last) {
        metrics.count(VllmMetrics.REQUEST_SUCCESS, last.finishReason().openAiName(), 1);
        if (r.firstTokenNanos() < 0) {
            return;
        }
        long e2e = r.finishedNanos() - r.arrivalNanos();
        latency.record(LatencyStats.Kind.E2E, e2e);
        metrics.observe(VllmMetrics.E2E_REQUEST_LATENCY, e2e * 1e-9);
        int out = r.sample(0).numOutput();
        if (out > 1) {
            long tpot = (r.finishedNanos() - r.firstTokenNanos()) / (out - 1);
            latency.record(LatencyStats.Kind.TPOT, tpot);
            metrics.observe(VllmMetrics.REQUEST_TIME_PER_OUTPUT_TOKEN, tpot * 1e-9);
        }
        if (r.firstScheduledNanos() >= 0) {
            metrics.observe(VllmMetrics.REQUEST_PREFILL_TIME, (r.firstTokenNanos() - r.firstScheduledNanos()) * 1e-9);
            metrics.observe(VllmMetrics.REQUEST_INFERENCE_TIME, (r.finishedNanos() - r.firstScheduledNanos()) * 1e-9);
        }
        metrics.observe(VllmMetrics.REQUEST_DECODE_TIME, (r.finishedNanos() - r.firstTokenNanos()) * 1e-9);
        metrics.observe(VllmMetrics.REQUEST_PROMPT_TOKENS, r.request().promptLength());
        metrics.observe(VllmMetrics.REQUEST_GENERATION_TOKENS, r.numOutputTokens());
    }

    // ================================================================== inspection

    /** Whether anything is queued, running or in flight. */
    public boolean hasWork() {
        return inFlight != null || scheduler.hasWork();
    }

    /** Whether a fatal device error stopped the engine. */
    public boolean isFatal() {
        return fatal;
    }

    /** When the current device step started ({@link System#nanoTime()}), or -1 when none is running. */
    public long stepStartedNanos() {
        return stepStartedNanos;
    }

    /** The earliest pending timer, or {@link Long#MAX_VALUE} (a simulation jumps its clock no further than this). */
    public long nextTimerNanos() {
        return timers.isEmpty() ? Long.MAX_VALUE : timers.peekDue();
    }

    public StepScheduler scheduler() {
        return scheduler;
    }

    /** The speculative decoder, or null without speculation. */
    public SpeculativeDecoder speculative() {
        return speculative;
    }

    public Accelerator device() {
        return device;
    }

    public LatencyStats latency() {
        return latency;
    }

    public AdmissionContext admission() {
        return admission;
    }

    public AdmissionPolicy admissionPolicy() {
        return admissionPolicy;
    }

    public Clock clock() {
        return clock;
    }

    public EngineConfig config() {
        return cfg;
    }

    public long steps() {
        return steps;
    }

    public long failedSteps() {
        return failedSteps;
    }

    public long finishedRequests() {
        return finishedRequests;
    }
}
