package dev.baton.scheduler.admission;

import dev.baton.api.admission.Rejection;
import dev.baton.api.request.InferenceRequest;

import java.util.List;
import java.util.Objects;

/**
 * Admission policies applied one after another; the first refusal wins.
 *
 * <h2>Nothing half-enqueued</h2>
 * A policy may reserve something in {@link #admit} (a queue place, a tenant's concurrency slot, rate tokens). When a
 * later policy refuses, every earlier one is {@linkplain AdmissionPolicy#release released} in reverse order before the
 * refusal is returned, so a refused request leaves every counter as it found it. {@link #release}, {@link #onStarted}
 * and {@link #onEnded} reach every policy of the chain (in reverse order, as reservations unwind).
 *
 * <p>Order matters for the answer, not for correctness: put stateless checks that explain a malformed request first
 * ({@link BasicAdmission#shape()}), decisions that read the queue before the reservation that adds to it
 * ({@link BasicAdmission#queueBounds()} last).
 *
 * <p>Thread-safe and lock-free if its policies are; it holds no state of its own.
 */
public final class AdmissionChain implements AdmissionPolicy {
    private final AdmissionPolicy[] policies;

    private AdmissionChain(AdmissionPolicy[] policies) {
        this.policies = policies;
    }

    /** A chain of {@code policies}, applied in this order. */
    public static AdmissionChain of(AdmissionPolicy... policies) {
        for (AdmissionPolicy p : policies) {
            Objects.requireNonNull(p, "admission policy");
        }
        return new AdmissionChain(policies.clone());
    }

    /** A chain of {@code policies}, applied in list order. */
    public static AdmissionChain of(List<? extends AdmissionPolicy> policies) {
        return of(policies.toArray(new AdmissionPolicy[0]));
    }

    /** The policies, in the order they are applied. */
    public List<AdmissionPolicy> policies() {
        return List.of(policies);
    }

    @Override
    public Rejection admit(InferenceRequest request, AdmissionContext ctx) {
        for (int i = 0; i < policies.length; i++) {
            Rejection r = policies[i].admit(request, ctx);
            if (r != null) {
                for (int j = i - 1; j >= 0; j--) {
                    policies[j].release(request, ctx);
                }
                return r;
            }
        }
        return null;
    }

    @Override
    public void release(InferenceRequest request, AdmissionContext ctx) {
        for (int i = policies.length - 1; i >= 0; i--) {
            policies[i].release(request, ctx);
        }
    }

    @Override
    public void onStarted(InferenceRequest request, AdmissionContext ctx) {
        for (int i = policies.length - 1; i >= 0; i--) {
            policies[i].onStarted(request, ctx);
        }
    }

    @Override
    public void onEnded(InferenceRequest request, boolean started, AdmissionContext ctx) {
        for (int i = policies.length - 1; i >= 0; i--) {
            policies[i].onEnded(request, started, ctx);
        }
    }
}
