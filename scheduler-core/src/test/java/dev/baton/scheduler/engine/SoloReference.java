package dev.baton.scheduler.engine;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.cpu.ContiguousReference;
import dev.baton.accelerator.cpu.CpuModel;
import dev.baton.accelerator.cpu.CpuModelConfig;
import dev.baton.accelerator.sampling.TokenSampler;
import dev.baton.api.request.SamplingParams;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What a request generates when it runs alone: the CPU model's contiguous-KV reference forward pass
 * ({@link ContiguousReference}: one token at a time, no paging, batching, chunking or preemption), followed by the
 * device's sampling rule and vLLM's stop rules. Greedy requests take the argmax; seeded sampled requests draw with
 * {@link TokenSampler} on the stream {@code (seed, position)}, exactly the draw the device makes for the token at that
 * position. The batch-invariance properties compare every engine run against this.
 *
 * <p>Stop rules, in the scheduler's order: nothing stops before {@code minTokens}; then EOS (unless ignored), a stop
 * token, {@code maxTokens}, the model length.
 *
 * <p>Thread-safe by locking (the reference owns its KV arrays, and a property's shrinking may still be running on
 * another thread when the next property starts); results are memoised per (prompt, sampling, seed).
 */
final class SoloReference {

    private final ContiguousReference model;
    private final TokenSampler sampler;
    private final int vocab;
    private final int eos;
    private final int maxModelLen;
    private final float[] probs;
    private final Map<String, int[]> memo = new HashMap<>();

    /** The reference of the model a {@code cpu} device opens with {@code config}'s options and seed. */
    SoloReference(AcceleratorConfig config) {
        CpuModelConfig mc = CpuModelConfig.fromOptions(config.options());
        this.model = new ContiguousReference(new CpuModel(mc, config.seed()));
        this.sampler = new TokenSampler(mc.vocab());
        this.vocab = mc.vocab();
        this.eos = mc.eosToken();
        this.maxModelLen = mc.maxModelLen();
        this.probs = new float[vocab];
    }

    int eosToken() {
        return eos;
    }

    /** The tokens {@code prompt} generates alone under {@code sp}, with {@code seed} for sampled requests. */
    synchronized int[] generate(int[] prompt, SamplingParams sp, long seed) {
        String key = Arrays.toString(prompt) + sp + (sp.isGreedy() ? "" : "#" + seed);
        int[] hit = memo.get(key);
        if (hit != null) {
            return hit;
        }
        float[][] rows = model.logits(prompt);
        float[] logits = rows[rows.length - 1];
        int[] out = new int[sp.maxTokens()];
        int n = 0;
        while (true) {
            int position = prompt.length + n;
            int token = sp.isGreedy() ? TokenSampler.argmax(logits, 0, vocab)
                    : sampler.sample(logits, 0, sp, seed, position, probs, 0);
            out[n++] = token;
            if (stops(sp, token, n, prompt.length + n)) {
                break;
            }
            logits = model.next(token);
        }
        int[] result = Arrays.copyOf(out, n);
        memo.put(key, result);
        return result;
    }

    private boolean stops(SamplingParams sp, int token, int numOutput, int length) {
        if (numOutput < sp.minTokens()) {
            return false;
        }
        if (!sp.ignoreEos() && token == eos) {
            return true;
        }
        if (sp.isStopToken(token)) {
            return true;
        }
        return numOutput >= sp.maxTokens() || length >= maxModelLen;
    }
}
