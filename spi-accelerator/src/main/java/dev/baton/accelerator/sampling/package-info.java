/**
 * Sampling and speculative-draft verification as devices perform them: the counter-based random stream
 * ({@link dev.baton.accelerator.sampling.SamplingStream}), target distributions under temperature/top-k/top-p and
 * sampling ({@link dev.baton.accelerator.sampling.TokenSampler}), the exact rejection sampler
 * ({@link dev.baton.accelerator.sampling.RejectionSampler}) and synthetic acceptance rates
 * ({@link dev.baton.accelerator.sampling.SyntheticAcceptance}). The CPU reference device runs this code; the CUDA
 * binding's kernels implement the same definitions, and the scheduler can use them where it verifies drafts itself.
 */
package dev.baton.accelerator.sampling;
