package dev.baton.scheduler.spec;

/**
 * Decides how many draft tokens each decoding sequence verifies in the next step ("K"), from the batch and from what
 * verification has shown so far. The policies of the anchors' §1.7, composable:
 * <ul>
 *   <li>{@link #fixed(int)}: static K (vLLM's default, TensorRT-LLM's {@code max_draft_len});</li>
 *   <li>{@link BatchSizeSchedule}: K as a function of the batch size, off above a threshold (vLLM dynamic SD,
 *   TensorRT-LLM {@code draft_len_schedule});</li>
 *   <li>{@link GoodputPolicy}: the K that maximises predicted accepted tokens per second, from the device's cost
 *   model and measured per-position acceptance (SmartSpec/TurboSpec, vLLM's dynamic manager), with hysteresis and a
 *   switch cost;</li>
 *   <li>{@link AdaptiveSteps}: SGLang's EMA acceptance tiers with hysteresis;</li>
 *   <li>{@link AcceptanceKillSwitch}: turns speculation off while rolling acceptance is too low (TensorRT-LLM), and
 *   re-probes.</li>
 * </ul>
 * The {@link SpeculativeDecoder} clamps the answer to {@code [0, maxDrafts]} and to the lengths the device supports.
 *
 * <p>A policy instance is stateful and serves one engine; engine thread only. Per step the decoder calls
 * {@link #observe} for every sequence whose drafts were just verified, then {@link #endStep}, then
 * {@link #draftLength} for the next step.
 */
public interface DraftLengthPolicy {

    /** Binds the policy to the engine it serves, once, before the first step. */
    default void attach(SpeculationTarget target) {
    }

    /** K for every decoding sequence of {@code batch} in the next step. */
    int draftLength(DraftBatch batch);

    /** One sequence verified {@code drafted} drafts in the step just applied, of which {@code accepted} passed. */
    default void observe(int drafted, int accepted) {
    }

    /** Every verification of the step just applied was observed. */
    default void endStep() {
    }

    /** Always {@code k}. */
    static DraftLengthPolicy fixed(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("a static draft length must not be negative, got " + k);
        }
        return batch -> k;
    }
}
