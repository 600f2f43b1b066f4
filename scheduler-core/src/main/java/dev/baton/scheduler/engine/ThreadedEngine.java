package dev.baton.scheduler.engine;

import dev.baton.api.Clock;
import dev.baton.api.Engine;
import dev.baton.api.EngineSnapshot;
import dev.baton.api.FinishReason;
import dev.baton.api.ShutdownMode;
import dev.baton.api.admission.Admission;
import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.admission.AdmissionPolicy;
import dev.baton.scheduler.admission.QueueTimeouts;
import dev.baton.scheduler.cache.ResultCache;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.metrics.MetricsSink;
import dev.baton.scheduler.metrics.VllmMetrics;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.jctools.queues.varhandle.MpscBlockingConsumerVarHandleArrayQueue;
import org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue;
import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * An {@link Engine} that runs an {@link EngineCore} on one dedicated platform thread, the single writer of all
 * scheduling and KV state.
 *
 * <h2>Threads and queues</h2>
 * <pre>
 *   callers --submit()--> admission (caller's thread, lock-free) --> ingress: bounded MPSC (JCTools) --+
 *   callers --cancel()--> abort queue: unbounded MPSC -----------------------------------------------+--> engine thread
 *   engine thread --dirty handles--> egress: MPSC with a blocking consumer --> delivery thread --> subscribers, futures
 *   watchdog thread: watches the engine thread's current device step
 * </pre>
 * Producers never take a lock: admission reserves capacity with compare-and-set, the ingress offer is a JCTools
 * VarHandle MPSC queue (no {@code sun.misc.Unsafe}), and the engine thread is unparked only when it is idle. The engine
 * thread runs a duty cycle (drain aborts, drain ingress, fire timers, one step) and backs off through an Agrona
 * {@link IdleStrategy} when there is nothing to do. User code never runs on it: token events and completions are
 * handed to the delivery thread (or the configured executor).
 *
 * <h2>Lifecycle</h2>
 * {@code shutdown(DRAIN)} refuses new work and stops once every accepted request has ended; {@code shutdown(ABORT)}
 * ends them all with SHUTDOWN. A submission racing with shutdown either is refused or is ended by the engine thread
 * before it stops: an in-progress submit counter holds the engine thread's final drain until every submitter has
 * finished offering.
 *
 * <h2>Stalls</h2>
 * A watchdog declares the device stalled when one step runs longer than {@code deviceStallTimeout}: every live request
 * ends at once with DEVICE_ERROR, new submissions are refused with DEVICE_UNAVAILABLE, and when the device call
 * returns, the engine thread releases those requests' blocks and carries on.
 */
public final class ThreadedEngine implements Engine {
    private static final Logger LOG = System.getLogger(ThreadedEngine.class.getName());

    private static final int RUNNING = 0;
    private static final int DRAINING = 1;
    private static final int ABORTING = 2;
    private static final int TERMINATED = 3;

    private final EngineCore core;
    private final EngineConfig cfg;
    private final AdmissionPolicy admission;
    private final MetricsSink metrics;
    private final Clock clock;
    private final MpscVarHandleArrayQueue<RequestHandle> ingress;
    private final MpscUnboundedVarHandleArrayQueue<RequestHandle> aborts =
            new MpscUnboundedVarHandleArrayQueue<>(1024);
    private final MpscBlockingConsumerVarHandleArrayQueue<RequestHandle> egress;
    private final Map<String, RequestHandle> live = new ConcurrentHashMap<>();
    private final Map<String, Integer> loraSlots = new ConcurrentHashMap<>();
    private final AtomicInteger nextLoraSlot = new AtomicInteger(1);
    private final AtomicLong arrivalSeq = new AtomicLong();
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final AtomicInteger submitting = new AtomicInteger();
    private final LongAdder[] rejections = new LongAdder[RejectionReason.values().length];
    private final long[] rejectionsReported = new long[RejectionReason.values().length];
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final Executor deliveryExecutor;
    private final Thread engineThread;
    private final Thread deliveryThread;
    private final Thread watchdogThread;
    private final RequestHandle poison;
    private final ResultCache resultCache;

    private volatile boolean engineIdle;
    private volatile boolean stalled;
    private volatile int snapWaiting;
    private volatile int snapRunning;
    private volatile double snapKvUsage;
    private volatile long snapQueuedTokens;
    private volatile long snapSteps;

    /**
     * @param deliveryExecutor where token subscribers' callbacks run; {@code null} runs them on the engine's own
     *                         delivery thread
     */
    public ThreadedEngine(EngineCore core, AdmissionPolicy admission, MetricsSink metrics, Executor deliveryExecutor) {
        this(core, admission, metrics, deliveryExecutor, null);
    }

    /**
     * @param resultCache finished deterministic completions to answer identical requests from, or {@code null}
     */
    public ThreadedEngine(EngineCore core, AdmissionPolicy admission, MetricsSink metrics, Executor deliveryExecutor,
                          ResultCache resultCache) {
        this.core = core;
        this.resultCache = resultCache;
        this.cfg = core.config();
        this.admission = admission;
        this.metrics = metrics;
        this.clock = core.clock();
        this.deliveryExecutor = deliveryExecutor == null ? Runnable::run : deliveryExecutor;
        for (int i = 0; i < rejections.length; i++) {
            rejections[i] = new LongAdder();
        }
        int live = cfg.maxQueuedRequests() + cfg.maxNumSeqs() + 64;
        this.ingress = new MpscVarHandleArrayQueue<>(Math.max(64, cfg.maxQueuedRequests()));
        this.egress = new MpscBlockingConsumerVarHandleArrayQueue<>(Math.max(1024, live));
        this.poison = RequestHandle.poison(this);
        this.engineThread = new Thread(this::engineLoop, "baton-engine");
        this.engineThread.setDaemon(true);
        this.deliveryThread = new Thread(this::deliveryLoop, "baton-delivery");
        this.deliveryThread.setDaemon(true);
        this.watchdogThread = new Thread(this::watchdogLoop, "baton-watchdog");
        this.watchdogThread.setDaemon(true);
        engineThread.start();
        deliveryThread.start();
        watchdogThread.start();
    }

    // ================================================================== Engine

    @Override
    public Admission submit(InferenceRequest request) {
        Objects.requireNonNull(request, "request");
        submitting.incrementAndGet();
        try {
            if (state.get() != RUNNING) {
                return reject(RejectionReason.SHUTTING_DOWN, "the engine is shutting down; send the request to"
                        + " another replica");
            }
            if (stalled || core.isFatal()) {
                return reject(RejectionReason.DEVICE_UNAVAILABLE, core.isFatal()
                        ? "the engine's device failed; send the request to another replica"
                        : "the engine's device is stalled; retry later or on another replica");
            }
            Admission cached = fromCache(request);
            if (cached != null) {
                return cached;
            }
            Rejection refused = admission.admit(request, core.admission());
            if (refused != null) {
                rejections[refused.reason().ordinal()].increment();
                return new Admission.Rejected(refused);
            }
            long seq = arrivalSeq.incrementAndGet();
            String id = request.requestId() != null ? request.requestId() : "req-" + seq;
            long now = clock.nanoTime();
            long seed = request.sampling().hasSeed() ? request.sampling().seed() : mix(cfg.seed() + seq);
            long deadline = request.deadline() == null ? Long.MAX_VALUE : now + request.deadline().toNanos();
            long queueDeadline = queueDeadline(request, now);
            Request r = new Request(id, request, now, seq, seed, loraSlot(request.loraAdapter()), deadline,
                    queueDeadline, core);
            RequestHandle handle = new RequestHandle(id, r, this);
            r.attach(handle);
            if (live.putIfAbsent(id, handle) != null) {
                admission.release(request, core.admission());
                return reject(RejectionReason.DUPLICATE_REQUEST_ID, "a request with id '" + id
                        + "' is still in flight; use a unique id or leave it unset");
            }
            if (!ingress.offer(handle)) {
                live.remove(id, handle);
                admission.release(request, core.admission());
                return reject(RejectionReason.QUEUE_FULL, "the engine's ingress queue is full ("
                        + ingress.capacity() + " requests); retry later or on another replica");
            }
            wakeEngine();
            if (resultCache != null) {
                resultCache.record(request, handle.completion());
            }
            return new Admission.Accepted(handle);
        } finally {
            submitting.decrementAndGet();
        }
    }

    @Override
    public boolean cancel(String requestId) {
        RequestHandle h = live.get(requestId);
        return h != null && h.cancel();
    }

    @Override
    public EngineSnapshot snapshot() {
        return new EngineSnapshot(snapWaiting, snapRunning, snapKvUsage, snapQueuedTokens, snapSteps);
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public CompletableFuture<Void> shutdown(ShutdownMode mode) {
        int target = mode == ShutdownMode.ABORT ? ABORTING : DRAINING;
        int s;
        do {
            s = state.get();
            if (s >= target) {
                break;
            }
        } while (!state.compareAndSet(s, target));
        LockSupport.unpark(engineThread);
        return terminated;
    }

    @Override
    public void close() {
        shutdown(ShutdownMode.ABORT);
        try {
            terminated.get(cfg.deviceStallTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "engine did not stop in time: " + e);
        }
        core.device().close();
    }

    /** The engine core (for inspection: latency percentiles, scheduler and KV state). */
    public EngineCore core() {
        return core;
    }

    /** Rejections so far for {@code reason}. */
    public long rejections(RejectionReason reason) {
        return rejections[reason.ordinal()].sum();
    }

    /** Whether the watchdog currently considers the device stalled. */
    public boolean isStalled() {
        return stalled;
    }

    // ================================================================== handles

    void requestAbort(RequestHandle handle) {
        aborts.offer(handle);
        wakeEngine();
    }

    void egress(RequestHandle handle) {
        if (!egress.offer(handle)) {
            // Cannot happen: each live request has at most one entry and the queue holds more than can be live.
            throw new IllegalStateException("egress queue overflow");
        }
    }

    void onDelivered(RequestHandle handle) {
        live.remove(handle.requestId(), handle);
    }

    Executor deliveryExecutor() {
        return deliveryExecutor;
    }

    // ================================================================== engine thread

    private void engineLoop() {
        IdleStrategy idle = new BackoffIdleStrategy(64, 16, 1_000, 1_000_000);
        while (true) {
            try {
                int work = drainAborts() + drainIngress();
                int s = state.get();
                if (s == ABORTING) {
                    break;
                }
                boolean stepped = core.step();
                publish();
                if (stepped || work > 0) {
                    idle.reset();
                } else if (s == DRAINING && !core.hasWork() && ingress.isEmpty() && submitting.get() == 0) {
                    break;
                } else {
                    engineIdle = true;
                    if (ingress.isEmpty() && aborts.isEmpty() && state.get() == s) {
                        idle.idle();
                    }
                    engineIdle = false;
                }
            } catch (Throwable t) {
                LOG.log(Level.ERROR, "engine step failed; continuing", t);
            }
        }
        terminate();
    }

    private int drainIngress() {
        int n = 0;
        RequestHandle h;
        while (n < 4096 && (h = ingress.poll()) != null) {
            core.submit(h.request());
            n++;
        }
        return n;
    }

    private int drainAborts() {
        int n = 0;
        RequestHandle h;
        while ((h = aborts.poll()) != null) {
            core.abort(h.request(), h.abortReason());
            n++;
        }
        return n;
    }

    /** Ends everything still accepted and stops delivery once all of it is handed out. */
    private void terminate() {
        state.set(TERMINATED);
        while (submitting.get() > 0) {
            Thread.onSpinWait();
        }
        try {
            drainIngress();
            drainAborts();
            for (RequestHandle h : live.values()) {
                core.abort(h.request(), FinishReason.SHUTDOWN);
            }
            publish();
        } catch (Throwable t) {
            LOG.log(Level.ERROR, "engine shutdown failed to end every request", t);
        }
        egress.offer(poison);
    }

    private void publish() {
        snapRunning = core.scheduler().numRunning();
        snapWaiting = core.scheduler().numWaiting();
        snapKvUsage = core.scheduler().kv().usage();
        snapQueuedTokens = core.scheduler().queuedTokens();
        snapSteps = core.steps();
        for (int i = 0; i < rejections.length; i++) {
            long now = rejections[i].sum();
            if (now != rejectionsReported[i]) {
                metrics.count(VllmMetrics.REJECTIONS, RejectionReason.values()[i].name(), now - rejectionsReported[i]);
                rejectionsReported[i] = now;
            }
        }
    }

    private void wakeEngine() {
        if (engineIdle) {
            LockSupport.unpark(engineThread);
        }
    }

    // ================================================================== delivery thread

    private void deliveryLoop() {
        while (true) {
            RequestHandle h;
            try {
                h = egress.take();
            } catch (InterruptedException e) {
                continue;
            }
            if (h == poison) {
                break;
            }
            try {
                h.deliver();
            } catch (Throwable t) {
                LOG.log(Level.WARNING, "token delivery failed for " + h.requestId(), t);
            }
        }
        terminated.complete(null);
    }

    // ================================================================== watchdog

    private void watchdogLoop() {
        long timeout = cfg.deviceStallTimeout().toNanos();
        long tick = Math.max(1_000_000L, Math.min(timeout / 4, 250_000_000L));
        while (!terminated.isDone()) {
            LockSupport.parkNanos(tick);
            long started = core.stepStartedNanos();
            if (started >= 0 && System.nanoTime() - started > timeout) {
                if (!stalled) {
                    stalled = true;
                    LOG.log(Level.ERROR, "device step running for more than " + cfg.deviceStallTimeout()
                            + ": failing every live request and refusing new ones until it returns");
                    long now = clock.nanoTime();
                    for (RequestHandle h : live.values()) {
                        h.failForStall(now);
                    }
                }
            } else if (stalled && started < 0) {
                stalled = false;
            }
        }
    }

    // ================================================================== helpers

    private Admission reject(RejectionReason reason, String message) {
        rejections[reason.ordinal()].increment();
        return new Admission.Rejected(Rejection.of(reason, message));
    }

    private long queueDeadline(InferenceRequest request, long now) {
        return QueueTimeouts.deadline(cfg.defaultQueueTimeout(), request.queueTimeout(), now);
    }

    /**
     * A result-cache hit: answered on the caller's thread, never reaching the engine thread. A request whose id is
     * still in flight goes the normal way (and is refused as a duplicate there).
     */
    private Admission fromCache(InferenceRequest request) {
        if (resultCache == null || (request.requestId() != null && live.containsKey(request.requestId()))) {
            return null;
        }
        ResultCache.Hit hit = resultCache.lookup(request);
        if (hit == null) {
            return null;
        }
        String id = request.requestId() != null ? request.requestId() : "req-" + arrivalSeq.incrementAndGet();
        return new Admission.Accepted(hit.replay(id, clock.nanoTime(), deliveryExecutor));
    }

    private int loraSlot(String adapter) {
        if (adapter == null) {
            return 0;
        }
        return loraSlots.computeIfAbsent(adapter, a -> nextLoraSlot.getAndIncrement());
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
