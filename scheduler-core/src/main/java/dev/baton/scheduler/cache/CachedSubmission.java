package dev.baton.scheduler.cache;

import dev.baton.api.Completion;
import dev.baton.api.SampleOutput;
import dev.baton.api.Submission;
import dev.baton.api.TokenEvent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request answered from the {@link ResultCache}: already complete. Its token stream replays every sample's tokens,
 * sample by sample, honouring each subscriber's demand, then completes. Drains are serialised by a work-in-progress
 * counter (the reactive-streams pattern), so {@code onNext} is never called concurrently, and a subscriber that
 * requests more from inside {@code onNext} does not recurse.
 */
final class CachedSubmission implements Submission, Flow.Publisher<TokenEvent> {
    private final Completion completion;
    private final CompletableFuture<Completion> future;
    private final Executor executor;

    CachedSubmission(Completion completion, Executor executor) {
        this.completion = completion;
        this.future = CompletableFuture.completedFuture(completion);
        this.executor = executor == null ? Runnable::run : executor;
    }

    @Override
    public String requestId() {
        return completion.requestId();
    }

    @Override
    public CompletableFuture<Completion> completion() {
        return future;
    }

    @Override
    public Flow.Publisher<TokenEvent> tokens() {
        return this;
    }

    /** Already ended: there is nothing to cancel. */
    @Override
    public boolean cancel() {
        return false;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super TokenEvent> subscriber) {
        Replay r = new Replay(subscriber);
        subscriber.onSubscribe(r);
        r.signal();
    }

    private final class Replay implements Flow.Subscription, Runnable {
        private final Flow.Subscriber<? super TokenEvent> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean cancelled;
        private boolean completed;
        private int sample;
        private int index;
        private int[] tokens;

        Replay(Flow.Subscriber<? super TokenEvent> subscriber) {
            this.subscriber = subscriber;
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

        void signal() {
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
            long time = completion.timings().finishedNanos();
            while (!cancelled && !completed && sample < completion.samples().size()) {
                SampleOutput s = completion.samples().get(sample);
                if (tokens == null) {
                    tokens = s.tokens();
                }
                if (index == tokens.length) {
                    sample++;
                    index = 0;
                    tokens = null;
                    continue;
                }
                if (demand.get() == 0) {
                    return;
                }
                demand.decrementAndGet();
                int i = index++;
                subscriber.onNext(new TokenEvent(completion.requestId(), s.index(), i, tokens[i], time));
            }
            if (!cancelled && !completed) {
                completed = true;
                subscriber.onComplete();
            }
        }
    }
}
