package dev.baton.benchmarks.scheduler;

import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.scheduler.core.ScheduledStep;
import dev.baton.scheduler.core.StepScheduler;

/**
 * Drives a {@link StepScheduler} against a device that costs nothing: every sequence whose step samples gets one
 * token. What the scheduler benchmarks measure is then plan plus apply, nothing else. Allocation-free.
 */
final class NoOpDevice {
    private final StepScheduler scheduler;
    private final ScheduledStep step = new ScheduledStep(1);
    private final StepResult result = new StepResult(128_256, 0);
    private int token;

    NoOpDevice(StepScheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Plans one step, "executes" it and applies the result; returns the sequences in the step. */
    int step() {
        ScheduledStep s = scheduler.schedule(step);
        StepPlan plan = s.plan();
        result.reset(plan);
        for (int i = 0; i < plan.numSeqs(); i++) {
            if (plan.samples(i)) {
                result.addSampled(i, 1 + (token++ & 0xFFFF));
            }
        }
        scheduler.apply(s, result);
        return plan.numSeqs();
    }

    /** The plan of the step last run. */
    StepPlan lastPlan() {
        return step.plan();
    }
}
