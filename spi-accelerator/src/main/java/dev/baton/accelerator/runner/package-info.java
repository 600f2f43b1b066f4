/**
 * What every device that computes logits on a model does the same way around its forward pass: checking a
 * {@link dev.baton.api.plan.StepPlan}, building the forward pass's rows, sampling and verifying drafts from the logits
 * ({@link dev.baton.accelerator.runner.StepRunner}), and checking {@link dev.baton.accelerator.KvBlockAccess} calls.
 * The CPU reference device and the CUDA binding both run on it.
 */
package dev.baton.accelerator.runner;
