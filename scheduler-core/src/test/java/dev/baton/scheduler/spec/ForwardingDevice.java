package dev.baton.scheduler.spec;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

/**
 * A device that forwards to another and records what the scheduler asks of it: how many drafts each plan carries,
 * whether drafts ever ride with a prefill chunk, and how many sequences carry draft probability rows.
 */
class ForwardingDevice implements Accelerator {
    final Accelerator inner;
    long plans;
    long plansWithDrafts;
    long draftTokens;
    long draftedSeqs;
    long seqsWithRows;
    int maxDraftsSeen;
    long draftsWithPrefill;
    long maxPlanTokens;
    StepPlan lastPlan;

    ForwardingDevice(Accelerator inner) {
        this.inner = inner;
    }

    @Override
    public String providerName() {
        return inner.providerName();
    }

    @Override
    public DeviceInfo deviceInfo() {
        return inner.deviceInfo();
    }

    @Override
    public ModelShape model() {
        return inner.model();
    }

    @Override
    public Parallelism parallelism() {
        return inner.parallelism();
    }

    @Override
    public KvCacheLayout kvLayout() {
        return inner.kvLayout();
    }

    @Override
    public CostModel costModel() {
        return inner.costModel();
    }

    @Override
    public int maxProposals() {
        return inner.maxProposals();
    }

    @Override
    public boolean supportsDraftLength(int k) {
        return inner.supportsDraftLength(k);
    }

    @Override
    public long draftLengthSwitchNanos() {
        return inner.draftLengthSwitchNanos();
    }

    @Override
    public void launch(StepPlan plan) {
        plans++;
        lastPlan = plan;
        maxPlanTokens = Math.max(maxPlanTokens, plan.totalTokens());
        boolean any = false;
        for (int i = 0; i < plan.numSeqs(); i++) {
            int k = plan.numDrafts(i);
            if (k == 0) {
                continue;
            }
            any = true;
            draftTokens += k;
            draftedSeqs++;
            maxDraftsSeen = Math.max(maxDraftsSeen, k);
            if (plan.numTokens(i) - k != 1) {
                draftsWithPrefill++;
            }
            if (plan.hasDraftProbabilities(i)) {
                seqsWithRows++;
            }
        }
        if (any) {
            plansWithDrafts++;
        }
        inner.launch(plan);
    }

    @Override
    public void await(StepResult result) {
        inner.await(result);
    }

    @Override
    public void close() {
        inner.close();
    }
}
