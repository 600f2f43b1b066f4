package dev.baton.scheduler.spec;

/**
 * Closed forms of speculative decoding (Leviathan et al., arXiv 2211.17192, §3; Chen et al., arXiv 2302.01318) and
 * vLLM's per-position generalisation ({@code vllm/v1/spec_decode/metrics.py}). Conformance cases SPEC-44..46.
 *
 * <ul>
 *   <li>Per-token acceptance {@code beta = sum_x min(p(x), q(x)) = 1 - D_TV(p, q)}.</li>
 *   <li>Expected tokens per verification with i.i.d. acceptance {@code alpha} and {@code gamma} drafts:
 *   {@code E[L] = (1 - alpha^(gamma+1)) / (1 - alpha)} ({@code gamma + 1} at {@code alpha = 1}).</li>
 *   <li>Walltime speedup with draft/target step cost ratio {@code c}:
 *   {@code S = (1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1))} (Theorem 3.8).</li>
 *   <li>With unconditional per-position rates {@code a_i}: {@code E[L(k)] = 1 + sum_{i<=k} a_i}.</li>
 * </ul>
 * Stateless.
 */
public final class AcceptanceMath {

    private AcceptanceMath() {
    }

    /** {@code E[L]}: expected tokens per verification step with acceptance {@code alpha} and {@code gamma} drafts. */
    public static double expectedLength(double alpha, int gamma) {
        checkRate(alpha);
        if (alpha == 1) {
            return gamma + 1;
        }
        return (1 - Math.pow(alpha, gamma + 1)) / (1 - alpha);
    }

    /** Leviathan's Theorem 3.8 speedup with draft/target cost ratio {@code c}. */
    public static double speedup(double alpha, int gamma, double c) {
        if (!(c >= 0)) {
            throw new IllegalArgumentException("the draft/target cost ratio must not be negative, got " + c);
        }
        return expectedLength(alpha, gamma) / (gamma * c + 1);
    }

    /** {@code E[L(k)] = 1 + a_1 + ... + a_k} from unconditional per-position rates. */
    public static double expectedLength(double[] unconditional, int k) {
        double l = 1;
        for (int i = 0; i < Math.min(k, unconditional.length); i++) {
            l += unconditional[i];
        }
        return l;
    }

    /** {@code beta = sum_x min(p(x), q(x))}: the probability that a draft sampled from {@code q} is accepted. */
    public static double acceptanceProbability(double[] p, double[] q) {
        sameLength(p, q);
        double beta = 0;
        for (int x = 0; x < p.length; x++) {
            beta += Math.min(p[x], q[x]);
        }
        return beta;
    }

    /**
     * The residual {@code norm(max(0, p - q))} that a rejected draft is resampled from; all zeros when {@code q}
     * covers {@code p} (then nothing is ever rejected).
     */
    public static double[] residual(double[] p, double[] q) {
        sameLength(p, q);
        double[] r = new double[p.length];
        double sum = 0;
        for (int x = 0; x < p.length; x++) {
            r[x] = Math.max(0, p[x] - q[x]);
            sum += r[x];
        }
        if (sum > 0) {
            for (int x = 0; x < r.length; x++) {
                r[x] /= sum;
            }
        }
        return r;
    }

    private static void checkRate(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("an acceptance rate must be in [0, 1], got " + alpha);
        }
    }

    private static void sameLength(double[] p, double[] q) {
        if (p.length != q.length) {
            throw new IllegalArgumentException("p and q must have the same vocabulary, got " + p.length + " and "
                    + q.length);
        }
    }
}
