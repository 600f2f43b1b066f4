package dev.baton.examples.replay;

import dev.baton.examples.workload.Workload;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * Capacity in DistServe's sense (Zhong et al., OSDI'24): the highest request rate at which a policy keeps SLO
 * attainment at or above a target, found by bisection over the workload's rate scale.
 *
 * <p>Attainment counts every offered request, so a refused, ended-early or unfinished one is a miss and refusing work
 * never raises capacity. The search first doubles (or halves) the rate scale from 1 until the outcome flips, then
 * bisects geometrically until the bracket is narrower than the precision. Generated workloads keep their draws across
 * rate scales (only time is compressed), so neighbouring rates compare the same requests. A run that can no longer
 * reach the target (more misses than the target allows) stops early, which makes overloaded probes cheap.
 */
public final class Sweep {

    /** Rate scales beyond which the search gives up (capacity above or below any sensible load). */
    private static final double MAX_SCALE = 1024;
    private static final double MIN_SCALE = 1.0 / 1024;

    /**
     * One probe.
     *
     * @param rateScale  the rate scale
     * @param offeredRps the workload's offered request rate at that scale
     * @param report     the run's figures (partial when it stopped early)
     * @param passed     whether attainment reached the target
     */
    public record Point(double rateScale, double offeredRps, PolicyReport report, boolean passed) {
    }

    /**
     * The result for one policy.
     *
     * @param policy      its name
     * @param capacityRps the offered rate of the highest passing probe (0 if none passed)
     * @param rateScale   that probe's rate scale
     * @param atCapacity  its figures, or null if no probe passed
     * @param points      every probe, in order
     */
    public record Capacity(String policy, double capacityRps, double rateScale, PolicyReport atCapacity,
                           List<Point> points) {
    }

    private Sweep() {
    }

    /**
     * @param workloadAt  the workload at a rate scale
     * @param target      attainment target, e.g. 0.9
     * @param precision   stop when the bracket's upper end is within this fraction of its lower end, e.g. 0.03
     */
    public static Capacity find(ReplayPolicy policy, DoubleFunction<Workload> workloadAt, ReplayConfig config,
                                double target, double precision, Progress progress) {
        if (!(target > 0 && target <= 1)) {
            throw new IllegalArgumentException("--attainment must be in (0, 1], got " + target);
        }
        if (!(precision > 0)) {
            throw new IllegalArgumentException("--precision must be positive, got " + precision);
        }
        List<Point> points = new ArrayList<>();
        Point best = null;
        double lo;
        double hi;
        Point p = probe(policy, workloadAt, config, target, 1, points, progress);
        if (p.passed()) {
            best = p;
            lo = 1;
            hi = 2;
            while (true) {
                p = probe(policy, workloadAt, config, target, hi, points, progress);
                if (!p.passed()) {
                    break;
                }
                best = p;
                lo = hi;
                if (hi >= MAX_SCALE) {
                    return result(policy, best, points);
                }
                hi *= 2;
            }
        } else {
            hi = 1;
            lo = 0.5;
            while (true) {
                p = probe(policy, workloadAt, config, target, lo, points, progress);
                if (p.passed()) {
                    best = p;
                    break;
                }
                hi = lo;
                if (lo <= MIN_SCALE) {
                    return result(policy, null, points);
                }
                lo /= 2;
            }
        }
        while (hi / lo > 1 + precision) {
            double mid = Math.sqrt(lo * hi);
            p = probe(policy, workloadAt, config, target, mid, points, progress);
            if (p.passed()) {
                best = p;
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return result(policy, best, points);
    }

    private static Capacity result(ReplayPolicy policy, Point best, List<Point> points) {
        return best == null ? new Capacity(policy.name(), 0, 0, null, points)
                : new Capacity(policy.name(), best.offeredRps(), best.rateScale(), best.report(), points);
    }

    private static Point probe(ReplayPolicy policy, DoubleFunction<Workload> workloadAt, ReplayConfig config,
                               double target, double scale, List<Point> points, Progress progress) {
        Workload w = workloadAt.apply(scale);
        int n = w.requests().size();
        if (n == 0) {
            throw new IllegalArgumentException("the workload holds no request at rate scale " + scale
                    + "; lengthen --duration");
        }
        long allowed = (long) Math.floor((1 - target) * n + 1e-9);
        String label = String.format(java.util.Locale.ROOT, "%s at %.3gx", policy.name(), scale);
        Progress labelled = new Progress() {
            @Override
            public void update(double fraction, String ignored) {
                progress.update(fraction, label);
            }

            @Override
            public void done() {
                progress.done();
            }
        };
        ReplayResult r = Replay.run(w, policy, config.withMaxMisses(allowed), labelled);
        PolicyReport report = PolicyReport.of(r);
        boolean passed = r.outcomes().misses() <= allowed && report.sloAttainment() >= target - 1e-12;
        Point p = new Point(scale, w.offeredRate(), report, passed);
        points.add(p);
        return p;
    }
}
