package dev.baton.scheduler.admission;

import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;

/**
 * Sheds sheddable work while the engine is saturated ({@code SHED_LOW_PRIORITY}, 503), as the Gateway API Inference
 * Extension's saturation detector does for sheddable requests: the engine counts as saturated when its waiting queue
 * holds at least {@code queueDepth} requests or its KV usage is at least {@code kvUsage}; then every request whose
 * priority value is above {@code shedAbove} (vLLM semantics: a larger value is less important) is refused, while more
 * important requests still queue. Stateless and lock-free: it reads the published load only.
 */
public final class PriorityShedding implements AdmissionPolicy {
    private final int shedAbove;
    private final long queueDepth;
    private final double kvUsage;

    /**
     * @param shedAbove  requests with {@code priority > shedAbove} are sheddable
     * @param queueDepth waiting requests at which the engine counts as saturated (0: ignore the queue)
     * @param kvUsage    KV usage at which it counts as saturated, in (0, 1] ({@code > 1}: ignore KV)
     */
    public PriorityShedding(int shedAbove, long queueDepth, double kvUsage) {
        if (queueDepth < 0) {
            throw new IllegalArgumentException("queueDepth must be >= 0 (0: ignore the queue), got " + queueDepth);
        }
        if (!(kvUsage > 0)) {
            throw new IllegalArgumentException("kvUsage must be > 0 (above 1: ignore KV), got " + kvUsage);
        }
        this.shedAbove = shedAbove;
        this.queueDepth = queueDepth;
        this.kvUsage = kvUsage;
    }

    @Override
    public Rejection admit(InferenceRequest r, AdmissionContext ctx) {
        if (r.priority() <= shedAbove) {
            return null;
        }
        long queued = ctx.queuedRequests();
        double kv = ctx.kvUsage();
        boolean queueFull = queueDepth > 0 && queued >= queueDepth;
        if (!queueFull && kv < kvUsage) {
            return null;
        }
        String why = queueFull ? queued + " requests are waiting (saturation at " + queueDepth + ")"
                : String.format("KV usage is %.0f%% (saturation at %.0f%%)", kv * 100, kvUsage * 100);
        return Rejection.of(RejectionReason.SHED_LOW_PRIORITY, "the engine is saturated: " + why
                + "; requests with priority above " + shedAbove + " are shed (this one has " + r.priority()
                + "); retry later, on another replica, or with priority " + shedAbove + " or less");
    }
}
