package dev.baton.scheduler.engine;

import dev.baton.api.TokenEvent;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscriber of a request's token stream (from a {@link TokenSource}). Delivers every token of every sample from the first, in order per
 * sample, honouring demand, then {@code onComplete()} once the request has ended and everything was delivered.
 *
 * <p>Drains are serialised by a work-in-progress counter (the usual reactive-streams pattern): whoever raises it from 0
 * runs the drain loop (on the delivery executor), others only leave a mark, so {@code onNext} is never called
 * concurrently and never on the engine thread.
 */
public final class TokenSubscription implements Flow.Subscription, Runnable {
    private final TokenSource source;
    private final Flow.Subscriber<? super TokenEvent> subscriber;
    private final Executor executor;
    private final int[] cursor;
    private final AtomicLong demand = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile boolean cancelled;
    private boolean completed;
    private int nextSample;

    /**
     * @param executor where the drain loop (and so the subscriber's callbacks) runs; must not be the engine thread
     */
    public TokenSubscription(TokenSource source, Flow.Subscriber<? super TokenEvent> subscriber, Executor executor) {
        this.source = source;
        this.subscriber = subscriber;
        this.executor = executor;
        this.cursor = new int[source.numSamples()];
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            cancelled = true;
            subscriber.onError(new IllegalArgumentException("request(" + n + "): demand must be positive (§3.9)"));
            return;
        }
        long d;
        do {
            d = demand.get();
        } while (!demand.compareAndSet(d, d + n < 0 ? Long.MAX_VALUE : d + n));
        signal();
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    /** New tokens or the end may be available. */
    public void signal() {
        if (wip.getAndIncrement() == 0) {
            executor.execute(this);
        }
    }

    @Override
    public void run() {
        int missed = 1;
        do {
            drain();
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drain() {
        if (cancelled || completed) {
            return;
        }
        int samples = cursor.length;
        boolean progress = true;
        while (progress && demand.get() > 0 && !cancelled) {
            progress = false;
            for (int k = 0; k < samples && demand.get() > 0; k++) {
                int s = (nextSample + k) % samples;
                if (cursor[s] < source.published(s)) {
                    int i = cursor[s]++;
                    demand.decrementAndGet();
                    subscriber.onNext(new TokenEvent(source.requestId(), s, i, source.token(s, i), source.time(s, i)));
                    nextSample = (s + 1) % samples;
                    progress = true;
                }
            }
        }
        if (!cancelled && source.isEnded()) {
            for (int s = 0; s < samples; s++) {
                if (cursor[s] < source.published(s)) {
                    return;
                }
            }
            completed = true;
            subscriber.onComplete();
        }
    }
}
