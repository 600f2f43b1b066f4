/**
 * Speculative-decoding coordination: who proposes draft tokens ({@link dev.baton.scheduler.spec.DraftProposer}:
 * n-gram prompt lookup, a draft model through the accelerator SPI, the device's own heads), how many each decoding
 * sequence verifies ({@link dev.baton.scheduler.spec.DraftLengthPolicy}: static, batch-size schedules, goodput from
 * the cost model and live acceptance, SGLang's EMA tiers, an acceptance kill switch), and the
 * {@link dev.baton.scheduler.spec.SpeculativeDecoder} that runs them between two engine steps. Scheduler accounting
 * (budget, KV slots, rollback) lives in {@link dev.baton.scheduler.core.StepScheduler}; verification runs on the device
 * ({@link dev.baton.accelerator.sampling.RejectionSampler}).
 */
package dev.baton.scheduler.spec;
