package dev.baton.examples.workload;

/**
 * The measured figures of a public trace that a fit was made from: what the generator's sample statistics are checked
 * against.
 *
 * @param requests       rows of the trace
 * @param spanSeconds    first to last arrival
 * @param meanRate       requests per second over the span
 * @param gapCv          coefficient of variation of the gaps between arrivals (1 for Poisson)
 * @param idc1s          index of dispersion (variance / mean) of arrival counts in 1 s windows (1 for Poisson)
 * @param idc10s         the same in 10 s windows
 * @param idc60s         the same in 60 s windows
 * @param promptMean     prompt tokens: mean
 * @param promptMedian   prompt tokens: median
 * @param promptP90      prompt tokens: 90th percentile
 * @param promptP99      prompt tokens: 99th percentile
 * @param outputMean     generated tokens: mean
 * @param outputMedian   generated tokens: median
 * @param outputP90      generated tokens: 90th percentile
 * @param outputP99      generated tokens: 99th percentile
 * @param spearman       Spearman rank correlation of prompt and output length
 */
public record TraceSummary(int requests, double spanSeconds, double meanRate, double gapCv, double idc1s,
                           double idc10s, double idc60s, double promptMean, double promptMedian, double promptP90,
                           double promptP99, double outputMean, double outputMedian, double outputP90,
                           double outputP99, double spearman) {
}
