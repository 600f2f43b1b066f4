package dev.baton.examples.replay;

import dev.baton.examples.workload.MeasuredTimings;
import dev.baton.examples.workload.TraceRequest;
import dev.baton.examples.workload.Workload;

import java.util.Arrays;
import java.util.List;

/**
 * How close the simulated device's predictions come to a measured serving run: the run's requests (arrival times,
 * prompt and output lengths) are replayed with the {@code vllm} policy and the run's engine knobs, and the predicted
 * TTFT and end-to-end latency are compared with the measured ones (measured from {@code queued_ts}), median and 90th
 * percentile each. The cost model is the calibrated one; nothing is fitted to the run being judged.
 */
public final class Fidelity {

    /**
     * Predicted vs measured.
     *
     * @param requests          requests in the file
     * @param withTimings       of them, requests whose TTFT and end-to-end latency were measured
     * @param compared          of those, requests the replay also finished (the compared set)
     * @param ttftMeasured      median and p90 of measured TTFT over the compared set, seconds
     * @param ttftPredicted     the same, predicted
     * @param e2eMeasured       median and p90 of measured end-to-end latency, seconds
     * @param e2ePredicted      the same, predicted
     * @param report            the replay's own figures
     */
    public record Result(int requests, int withTimings, int compared, double[] ttftMeasured, double[] ttftPredicted,
                         double[] e2eMeasured, double[] e2ePredicted, PolicyReport report) {

        public double ttftMedianRelErr() {
            return relErr(ttftPredicted[0], ttftMeasured[0]);
        }

        public double ttftP90RelErr() {
            return relErr(ttftPredicted[1], ttftMeasured[1]);
        }

        public double e2eMedianRelErr() {
            return relErr(e2ePredicted[0], e2eMeasured[0]);
        }

        public double e2eP90RelErr() {
            return relErr(e2ePredicted[1], e2eMeasured[1]);
        }
    }

    private Fidelity() {
    }

    /** |predicted - measured| / measured. */
    public static double relErr(double predicted, double measured) {
        return Math.abs(predicted - measured) / measured;
    }

    /**
     * @throws IllegalArgumentException if no request of the workload has measured TTFT and end-to-end latency
     */
    public static Result compare(Workload measuredRun, ReplayConfig config, Progress progress) {
        List<TraceRequest> rs = measuredRun.requests();
        int withTimings = 0;
        for (TraceRequest r : rs) {
            if (r.measured() != null && r.measured().hasLatencies()) {
                withTimings++;
            }
        }
        if (withTimings == 0) {
            throw new IllegalArgumentException("no request in " + measuredRun.name() + " has queued_ts, first_token_ts"
                    + " and last_token_ts: fidelity needs a measured run");
        }
        ReplayResult run = Replay.run(measuredRun, ReplayPolicies.named("vllm"), config, progress);
        Outcomes o = run.outcomes();
        double[] mt = new double[withTimings];
        double[] pt = new double[withTimings];
        double[] me = new double[withTimings];
        double[] pe = new double[withTimings];
        int n = 0;
        for (int i = 0; i < rs.size(); i++) {
            MeasuredTimings m = rs.get(i).measured();
            if (m == null || !m.hasLatencies() || !o.finished(i)) {
                continue;
            }
            mt[n] = m.ttft();
            me[n] = m.e2e();
            pt[n] = o.ttftNanos(i) * 1e-9;
            pe[n] = o.e2eNanos(i) * 1e-9;
            n++;
        }
        if (n == 0) {
            throw new IllegalArgumentException("the replay finished none of the measured requests; check --engine"
                    + " (max-model-len, num-gpu-blocks-override) against the measured run");
        }
        return new Result(rs.size(), withTimings, n, medianAndP90(mt, n), medianAndP90(pt, n), medianAndP90(me, n),
                medianAndP90(pe, n), PolicyReport.of(run));
    }

    private static double[] medianAndP90(double[] x, int n) {
        double[] s = Arrays.copyOf(x, n);
        Arrays.sort(s);
        return new double[] {PolicyReport.percentile(s, 50), PolicyReport.percentile(s, 90)};
    }
}
