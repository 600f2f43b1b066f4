package dev.baton.accelerator;

import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

/**
 * One opened device (or tensor-parallel group) running one model: the engine's view of the hardware.
 *
 * <h2>Stepping</h2>
 * The engine calls {@link #launch} with a plan, may then build the next plan while the device works
 * (one-step-ahead scheduling), and calls {@link #await} to collect the result. Calls alternate strictly
 * (launch, await, launch, ...) and come from one thread, the engine thread. {@link #launch} must copy or consume
 * everything it needs from the plan before returning; the plan and the block tables it references change after.
 *
 * <h2>Failures</h2>
 * A failed step surfaces as a {@link DeviceException} from {@link #await} (or {@link #launch}); the device must
 * remain usable for later steps unless the exception is fatal. Block moves of a failed step may or may not have
 * happened; the engine treats the KV of every sequence in that step as lost.
 */
public interface Accelerator extends AutoCloseable {

    /** The name of the provider that opened this device ({@code "sim"}, {@code "cpu"}, {@code "cuda"}). */
    String providerName();

    DeviceInfo deviceInfo();

    ModelShape model();

    Parallelism parallelism();

    /** The KV memory tiers, as planned from the device's memory and the model's shape. */
    KvCacheLayout kvLayout();

    /** Predicts this device's step times. */
    CostModel costModel();

    /** The most draft tokens the device itself proposes per sequence per step (EAGLE/Medusa heads); 0 if none. */
    default int maxProposals() {
        return 0;
    }

    /**
     * Whether this device verifies {@code k} draft tokens per sequence cheaply (a GPU binding captures one graph per
     * verification shape; other lengths are padded or fall back to slower paths, vLLM #49548). A draft-length policy
     * only chooses supported lengths; {@code 0} (no speculation) must always be supported. Default: every length.
     */
    default boolean supportsDraftLength(int k) {
        return k >= 0;
    }

    /**
     * What changing the per-sequence draft length between two steps costs, in nanoseconds (switching compiled
     * shapes); a draft-length policy weighs it against the predicted gain. Default: nothing.
     */
    default long draftLengthSwitchNanos() {
        return 0;
    }

    /** Starts executing {@code plan}: its block moves, then its forward pass. */
    void launch(StepPlan plan);

    /** Waits for the launched step and writes its outcome into {@code result} (already {@code reset} for the plan). */
    void await(StepResult result);

    /** Launches and awaits one step. */
    default void execute(StepPlan plan, StepResult result) {
        result.reset(plan);
        launch(plan);
        await(result);
    }

    /** Releases the device's memory and threads. */
    @Override
    void close();
}
