package dev.baton.scheduler;

import dev.baton.accelerator.CostModel;
import dev.baton.api.Clock;

/**
 * What a {@link SchedulingPolicy} may read when an engine is assembled: the final configuration and the figures of the
 * opened device. Policies that reason about time (SLO-aware composers, deadline feasibility, slack ordering) need the
 * device's {@link CostModel}, which exists only once the device is open; this is how they get it.
 *
 * @param config         the engine's knobs
 * @param costModel      the device's step-time model
 * @param clock          the engine clock
 * @param maxModelLen    the longest sequence the engine serves
 * @param blockSize      tokens per KV block
 * @param usableKvBlocks device KV blocks that requests can use (the null block excluded)
 */
public record EngineSetup(EngineConfig config, CostModel costModel, Clock clock, int maxModelLen, int blockSize,
                          int usableKvBlocks) {

    /** Tokens of KV the device holds. */
    public long kvCapacityTokens() {
        return (long) usableKvBlocks * blockSize;
    }
}
