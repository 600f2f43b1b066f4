package dev.baton.accelerator;

import dev.baton.api.plan.StepPlan;

/**
 * Predicts how long a step takes on a device. The simulated accelerator advances its virtual clock by this
 * prediction; SLO-aware schedulers use it to size prefill chunks and to judge whether a deadline can be met.
 *
 * <p>Implementations must be monotone: adding tokens, sequences, context or block moves never makes a step faster.
 * They must be cheap (called many times per scheduling step) and allocation-free.
 */
public interface CostModel {

    /** Predicted wall time of a step of this shape, in nanoseconds. */
    long stepNanos(StepShape shape);

    /** Predicted wall time of executing {@code plan}; {@code scratch} is overwritten. */
    default long stepNanos(StepPlan plan, StepShape scratch) {
        return stepNanos(scratch.of(plan));
    }
}
