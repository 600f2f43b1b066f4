package dev.baton.scheduler.engine;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceException;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Wraps a device to inject faults: random step failures, and a stall that lasts until released. */
final class FaultyAccelerator implements Accelerator {
    private final Accelerator delegate;
    private final Random rnd;
    private volatile double failureProbability;
    private final AtomicReference<CountDownLatch> stall = new AtomicReference<>();
    final AtomicInteger failures = new AtomicInteger();
    final AtomicInteger steps = new AtomicInteger();

    FaultyAccelerator(Accelerator delegate, long seed) {
        this.delegate = delegate;
        this.rnd = new Random(seed);
    }

    void failWithProbability(double p) {
        this.failureProbability = p;
    }

    /** The next awaited step blocks until the returned latch is counted down. */
    CountDownLatch stallNextStep() {
        CountDownLatch latch = new CountDownLatch(1);
        stall.set(latch);
        return latch;
    }

    @Override
    public String providerName() {
        return "faulty-" + delegate.providerName();
    }

    @Override
    public DeviceInfo deviceInfo() {
        return delegate.deviceInfo();
    }

    @Override
    public ModelShape model() {
        return delegate.model();
    }

    @Override
    public Parallelism parallelism() {
        return delegate.parallelism();
    }

    @Override
    public KvCacheLayout kvLayout() {
        return delegate.kvLayout();
    }

    @Override
    public CostModel costModel() {
        return delegate.costModel();
    }

    @Override
    public void launch(StepPlan plan) {
        delegate.launch(plan);
    }

    @Override
    public void await(StepResult result) {
        steps.incrementAndGet();
        CountDownLatch latch = stall.getAndSet(null);
        if (latch != null) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        boolean fail = failureProbability > 0 && rnd.nextDouble() < failureProbability;
        delegate.await(result);
        if (fail) {
            failures.incrementAndGet();
            throw new DeviceException("injected device failure", false);
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
