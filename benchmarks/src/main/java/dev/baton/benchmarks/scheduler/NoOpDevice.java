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

    /** Runs {@code n} steps; returns the sequences in them, for the benchmark to return. */
    int steps(int n) {
        int seqs = 0;
        for (int i = 0; i < n; i++) {
            seqs += step();
        }
        return seqs;
    }

    /** A prompt of {@code length} random token ids (no two requests share a prefix block). */
    static int[] randomPrompt(java.util.Random rnd, int length) {
        int[] prompt = new int[length];
        for (int k = 0; k < length; k++) {
            prompt[k] = 1 + rnd.nextInt(100_000);
        }
        return prompt;
    }

    /** The plan of the step last run. */
    StepPlan lastPlan() {
        return step.plan();
    }
}
