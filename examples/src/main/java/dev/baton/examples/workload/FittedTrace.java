package dev.baton.examples.workload;

import java.util.SplittableRandom;

/**
 * A generator fitted to a public trace: the arrival process, the prompt and output length distributions, and the
 * dependence between the two lengths (a Gaussian copula: prompt and output quantiles are drawn from normal scores with
 * correlation {@code lengthCorrelation}).
 *
 * @param name              e.g. {@code azure-conv}
 * @param attribution       where the trace comes from, as its licence asks
 * @param arrivals          the fitted arrival process
 * @param prompt            prompt tokens
 * @param output            generated tokens
 * @param lengthCorrelation correlation of the normal scores of prompt and output length
 * @param summary           the trace's own figures, which the generator reproduces
 */
public record FittedTrace(String name, String attribution, ArrivalProcess arrivals, QuantileTable prompt,
                          QuantileTable output, double lengthCorrelation, TraceSummary summary) {

    public FittedTrace {
        if (!(lengthCorrelation > -1 && lengthCorrelation < 1)) {
            throw new IllegalArgumentException("length correlation must be in (-1, 1), got " + lengthCorrelation);
        }
    }

    /** Draws one (prompt, output) length pair into {@code out[0]}, {@code out[1]}. */
    public void sampleLengths(SplittableRandom random, int[] out) {
        double z1 = random.nextGaussian();
        double z2 = lengthCorrelation * z1 + Math.sqrt(1 - lengthCorrelation * lengthCorrelation)
                * random.nextGaussian();
        out[0] = prompt.sample(Normal.cdf(z1));
        out[1] = output.sample(Normal.cdf(z2));
    }
}
