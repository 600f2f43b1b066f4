package dev.baton.scheduler.policy;

import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;

import java.time.Duration;

/** Waiting sequences for queue tests, without an engine. */
final class Seqs {
    private long arrivals;

    /** A fresh request's sample 0, arriving at {@code arrivalNanos}. */
    Sequence seq(String tenant, int priority, int prompt, long arrivalNanos, Duration ttft) {
        long n = ++arrivals;
        InferenceRequest ir = InferenceRequest.withPrompt(new int[prompt]).requestId("q" + n).tenant(tenant)
                .priority(priority).sampling(SamplingParams.greedy(8))
                .slo(ttft == null ? SloTargets.NONE : SloTargets.of(ttft, null)).build();
        return new Request("q" + n, ir, arrivalNanos, n, 0, 0, Long.MAX_VALUE, Long.MAX_VALUE,
                SequenceListener.NONE).sample(0);
    }

    Sequence seq(String tenant, int prompt) {
        return seq(tenant, 0, prompt, arrivals, null);
    }
}
