package dev.baton.scheduler.engine;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

/**
 * A device that passes every call to another one and counts what the plans asked of it: how many sequences shared a
 * step, prompt chunks that did not finish their prompt, swaps and copy-on-write copies. The batch-invariance
 * properties use the counts to show that the schedules they generate really exercise what they claim to.
 *
 * <p>Engine thread only, like the device it wraps.
 */
final class PlanRecorder implements Accelerator {

    private final Accelerator device;
    int steps;
    int maxSeqsPerStep;
    int prefillChunks;
    int swapOuts;
    int swapIns;
    int copies;

    PlanRecorder(Accelerator device) {
        this.device = device;
    }

    Accelerator device() {
        return device;
    }

    @Override
    public void launch(StepPlan plan) {
        steps++;
        maxSeqsPerStep = Math.max(maxSeqsPerStep, plan.numSeqs());
        for (int i = 0; i < plan.numSeqs(); i++) {
            if (!plan.samples(i)) {
                prefillChunks++;
            }
        }
        for (int m = 0; m < plan.numMoves(); m++) {
            switch (plan.moveKind(m)) {
                case SWAP_OUT -> swapOuts++;
                case SWAP_IN -> swapIns++;
                case COPY -> copies++;
            }
        }
        device.launch(plan);
    }

    @Override
    public void await(StepResult result) {
        device.await(result);
    }

    @Override
    public String providerName() {
        return device.providerName();
    }

    @Override
    public DeviceInfo deviceInfo() {
        return device.deviceInfo();
    }

    @Override
    public ModelShape model() {
        return device.model();
    }

    @Override
    public Parallelism parallelism() {
        return device.parallelism();
    }

    @Override
    public KvCacheLayout kvLayout() {
        return device.kvLayout();
    }

    @Override
    public CostModel costModel() {
        return device.costModel();
    }

    @Override
    public int maxProposals() {
        return device.maxProposals();
    }

    @Override
    public void close() {
        device.close();
    }
}
