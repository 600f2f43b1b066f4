package dev.baton.scheduler.cache;

import dev.baton.api.Completion;
import dev.baton.api.Submission;
import dev.baton.api.TokenEvent;
import dev.baton.scheduler.engine.TokenSource;
import dev.baton.scheduler.engine.TokenSubscription;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;

/**
 * A request answered from the {@link ResultCache}: already complete. Its token stream replays every sample's tokens
 * through the engine's own {@link TokenSubscription} (demand honoured, drains serialised), then completes.
 */
final class CachedSubmission implements Submission, Flow.Publisher<TokenEvent>, TokenSource {
    private final Completion completion;
    private final int[][] tokens;
    private final CompletableFuture<Completion> future;
    private final Executor executor;

    CachedSubmission(Completion completion, Executor executor) {
        this.completion = completion;
        this.tokens = new int[completion.samples().size()][];
        for (int s = 0; s < tokens.length; s++) {
            tokens[s] = completion.samples().get(s).tokens();
        }
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
        TokenSubscription sub = new TokenSubscription(this, subscriber, executor);
        subscriber.onSubscribe(sub);
        sub.signal();
    }

    @Override
    public int numSamples() {
        return tokens.length;
    }

    @Override
    public int published(int sample) {
        return tokens[sample].length;
    }

    @Override
    public int token(int sample, int index) {
        return tokens[sample][index];
    }

    @Override
    public long time(int sample, int index) {
        return completion.timings().finishedNanos();
    }

    @Override
    public boolean isEnded() {
        return true;
    }
}
