package dev.baton.scheduler.engine;

import dev.baton.api.Completion;
import dev.baton.api.FinishReason;
import dev.baton.api.RequestTimings;
import dev.baton.api.SampleOutput;
import dev.baton.api.Submission;
import dev.baton.api.TokenEvent;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The caller's handle of an accepted request, and the bridge from the engine thread to delivery threads.
 *
 * <h2>Ending exactly once</h2>
 * A request's terminal outcome is decided by one compare-and-set on {@link #terminal}: the engine thread claims it when
 * the last sample ends naturally; {@link #cancel()} claims it for a cancellation; the watchdog claims it when the
 * device stalls. Whoever wins decides; the others see the claim and stand down. The engine thread always does the
 * bookkeeping (blocks released, queues left) before the completion is handed to the delivery thread, except for a
 * stalled device, where the request is failed at once and its blocks are released when the device returns.
 *
 * <h2>Threads</h2>
 * {@link SequenceListener} methods run on the engine thread and only append to {@link TokenLog}s and hand this handle
 * to the egress dispatcher; user code ({@code onNext}, completion stages) runs on the delivery executor.
 */
final class RequestHandle implements Submission, SequenceListener, Flow.Publisher<TokenEvent>, TokenSource {
    static final int LIVE = 0;
    static final int CANCEL_CLAIMED = 1;
    static final int FINISHED = 2;
    static final int DEVICE_FAILED = 3;

    private final String id;
    private final Request request;
    private final ThreadedEngine engine;
    private final TokenLog[] logs;
    private final FinishReason[] reasons;
    private final int[] stopTokens;
    private final CompletableFuture<Completion> completion = new CompletableFuture<>();
    private final List<TokenSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicInteger terminal = new AtomicInteger(LIVE);
    private final AtomicBoolean egressQueued = new AtomicBoolean();
    private volatile boolean ended;
    private volatile Completion result;

    RequestHandle(String id, Request request, ThreadedEngine engine) {
        this.id = id;
        this.request = request;
        this.engine = engine;
        int n = request == null ? 0 : request.numSamples();
        this.logs = new TokenLog[n];
        for (int i = 0; i < n; i++) {
            logs[i] = new TokenLog();
        }
        this.reasons = new FinishReason[n];
        this.stopTokens = new int[n];
    }

    /** A handle that stands for no request: the delivery thread's stop signal. */
    static RequestHandle poison(ThreadedEngine engine) {
        return new RequestHandle("", null, engine);
    }

    // ------------------------------------------------------------------ Submission

    @Override
    public String requestId() {
        return id;
    }

    @Override
    public CompletableFuture<Completion> completion() {
        return completion;
    }

    @Override
    public Flow.Publisher<TokenEvent> tokens() {
        return this;
    }

    @Override
    public boolean cancel() {
        if (terminal.compareAndSet(LIVE, CANCEL_CLAIMED)) {
            engine.requestAbort(this);
            return true;
        }
        return false;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super TokenEvent> subscriber) {
        TokenSubscription sub = new TokenSubscription(this, subscriber, engine.deliveryExecutor());
        subscriptions.add(sub);
        subscriber.onSubscribe(sub);
        sub.signal();
    }

    // ------------------------------------------------------------------ engine thread

    @Override
    public void tokensAppended(Sequence seq, int from, int count, long now) {
        TokenLog log = logs[seq.sampleIndex()];
        for (int k = from; k < from + count; k++) {
            log.append(seq.output(k), now);
        }
        markDirty();
    }

    @Override
    public void sequenceFinished(Sequence seq, long now) {
        int s = seq.sampleIndex();
        FinishReason reason = seq.finishReason();
        if (terminal.get() == CANCEL_CLAIMED) {
            // The caller's cancel was claimed before this sample ended (naturally, by a shutdown, or by a device
            // error while the cancellation was on its way): report what cancel() promised.
            reason = FinishReason.CANCELLED;
        }
        reasons[s] = reason;
        stopTokens[s] = seq.stopToken();
        if (!request.isFinished()) {
            return;
        }
        terminal.compareAndSet(LIVE, FINISHED);
        if (terminal.get() == DEVICE_FAILED) {
            return;
        }
        result = buildCompletion();
        ended = true;
        markDirty();
    }

    /** The reason the caller or watchdog asked this request to end with (engine thread, when draining aborts). */
    FinishReason abortReason() {
        return terminal.get() == DEVICE_FAILED ? FinishReason.DEVICE_ERROR
                : terminal.get() == CANCEL_CLAIMED ? FinishReason.CANCELLED : FinishReason.SHUTDOWN;
    }

    private Completion buildCompletion() {
        List<SampleOutput> samples = new ArrayList<>(logs.length);
        for (int s = 0; s < logs.length; s++) {
            FinishReason r = reasons[s] == null ? FinishReason.SHUTDOWN : reasons[s];
            samples.add(new SampleOutput(s, logs[s].snapshot(), r, stopTokens[s]));
        }
        RequestTimings t = new RequestTimings(request.arrivalNanos(), request.firstScheduledNanos(),
                request.firstTokenNanos(), request.finishedNanos(), request.numOutputTokens());
        return new Completion(id, samples, t, request.cachedPromptTokens(), request.numPreemptions());
    }

    private void markDirty() {
        if (egressQueued.compareAndSet(false, true)) {
            engine.egress(this);
        }
    }

    // ------------------------------------------------------------------ watchdog

    /**
     * Fails the request at once because the device stalled (any thread). Returns whether this call decided its end.
     */
    boolean failForStall(long nowNanos) {
        if (!terminal.compareAndSet(LIVE, DEVICE_FAILED)) {
            return false;
        }
        List<SampleOutput> samples = new ArrayList<>(logs.length);
        for (int s = 0; s < logs.length; s++) {
            samples.add(new SampleOutput(s, logs[s].snapshot(), FinishReason.DEVICE_ERROR, -1));
        }
        RequestTimings t = new RequestTimings(request.arrivalNanos(), -1, -1, nowNanos, 0);
        result = new Completion(id, samples, t, 0, 0);
        ended = true;
        engine.requestAbort(this);
        markDirty();
        return true;
    }

    // ------------------------------------------------------------------ delivery thread

    /** Delivers what is new: signals subscribers, then completes the future once the request has ended. */
    void deliver() {
        egressQueued.set(false);
        for (TokenSubscription sub : subscriptions) {
            sub.signal();
        }
        Completion c = result;
        if (ended && c != null && !completion.isDone()) {
            completion.complete(c);
            engine.onDelivered(this);
        }
    }

    // ------------------------------------------------------------------ accessors

    Request request() {
        return request;
    }

    @Override
    public int numSamples() {
        return logs.length;
    }

    @Override
    public int published(int sample) {
        return logs[sample].count();
    }

    @Override
    public int token(int sample, int index) {
        return logs[sample].token(index);
    }

    @Override
    public long time(int sample, int index) {
        return logs[sample].time(index);
    }

    @Override
    public boolean isEnded() {
        return ended;
    }

    boolean isLive() {
        return terminal.get() == LIVE;
    }

    Executor executor() {
        return engine.deliveryExecutor();
    }
}
