package dev.baton.scheduler.engine;

import dev.baton.api.TokenEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;

/** Records a token stream and the protocol violations it sees (out-of-order tokens, calls after completion). */
final class RecordingSubscriber implements Flow.Subscriber<TokenEvent> {
    final List<List<Integer>> tokens = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    final AtomicInteger completions = new AtomicInteger();
    final CountDownLatch done = new CountDownLatch(1);
    private final long requestBatch;
    private Flow.Subscription subscription;
    private long outstanding;

    RecordingSubscriber(long requestBatch) {
        this.requestBatch = requestBatch;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
        this.subscription = s;
        outstanding = requestBatch;
        s.request(requestBatch);
    }

    @Override
    public synchronized void onNext(TokenEvent e) {
        if (completions.get() > 0) {
            violations.add("onNext after onComplete: " + e);
        }
        while (tokens.size() <= e.sampleIndex()) {
            tokens.add(new ArrayList<>());
        }
        List<Integer> t = tokens.get(e.sampleIndex());
        if (e.index() != t.size()) {
            violations.add("sample " + e.sampleIndex() + " expected index " + t.size() + " got " + e.index());
        }
        t.add(e.tokenId());
        if (--outstanding == 0) {
            outstanding = requestBatch;
            subscription.request(requestBatch);
        }
    }

    @Override
    public void onError(Throwable t) {
        violations.add("onError: " + t);
        done.countDown();
    }

    @Override
    public void onComplete() {
        if (completions.incrementAndGet() > 1) {
            violations.add("onComplete twice");
        }
        done.countDown();
    }

    synchronized List<Integer> sample(int i) {
        return i < tokens.size() ? new ArrayList<>(tokens.get(i)) : List.of();
    }
}
