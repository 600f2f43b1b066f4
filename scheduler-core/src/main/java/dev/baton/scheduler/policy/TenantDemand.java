package dev.baton.scheduler.policy;

import dev.baton.scheduler.compose.SloComposer;

import java.util.HashMap;
import java.util.function.ToDoubleFunction;

/**
 * Each tenant's recent demand -- the work its requests ask for as they arrive, {@code w_in x prompt + w_out x max
 * tokens}, decayed exponentially over a window -- and whether it asks for clearly more than its weighted share of all
 * the demand: its fraction {@code f_t = demand_t / sum demand} is past {@code margin} of the way from its share
 * {@code s_t = w_t / sum w} (over the tenants with a demand) to all of it, {@code f_t > s_t + margin x (1 - s_t)}.
 * This is the max-min-fairness split between tenants that are within their share (served whatever they ask) and
 * tenants that exceed it (which get what is left); it is measured on arrivals, not on service, so a tenant that is
 * throttled does not seem smaller for it. A single tenant never exceeds its share.
 *
 * <p>Engine thread only (arrivals are recorded when the engine moves them into its queue). {@link #exceedsShare} costs a
 * map lookup; who exceeds is recomputed once per distinct {@code now} (O(tenants)).
 */
public final class TenantDemand implements SloComposer.Shares {
    /**
     * A tenant with less than this fraction of the demand is not counted among the tenants with a demand (so that many
     * tiny tenants do not shrink everyone's share) -- unless a single tenant holds all the rest.
     */
    static final double ACTIVE_FRACTION = 0.01;
    /** A tenant whose fraction fell below this is forgotten (its demand counts as 0 again). */
    static final double FORGOTTEN_FRACTION = 1e-9;

    private final ToDoubleFunction<String> weight;
    private final double windowNanos;
    private final double margin;
    private final double inputWeight;
    private final double outputWeight;
    private final HashMap<String, double[]> demand = new HashMap<>();
    private double total;
    private long totalAt = Long.MIN_VALUE;
    private long sharesAt = Long.MIN_VALUE;
    private int exceeding;

    /**
     * @param weight       each tenant's weight
     * @param windowNanos  time constant of the decay (how far back demand counts)
     * @param margin       how far from its share towards all of the demand a tenant's fraction may go before it
     *                     exceeds its share, in (0, 1) (0.5: half way)
     * @param inputWeight  weight of a prompt token in the demand
     * @param outputWeight weight of an output token in the demand
     */
    public TenantDemand(ToDoubleFunction<String> weight, double windowNanos, double margin, double inputWeight,
                        double outputWeight) {
        if (!(windowNanos > 0) || !(margin > 0 && margin < 1)) {
            throw new IllegalArgumentException("the demand window must be positive (got " + windowNanos
                    + " ns) and the margin in (0, 1) (got " + margin + ")");
        }
        this.weight = java.util.Objects.requireNonNull(weight, "weight");
        this.windowNanos = windowNanos;
        this.margin = margin;
        this.inputWeight = inputWeight;
        this.outputWeight = outputWeight;
    }

    /** Records an arrival of {@code tenant} asking for {@code promptTokens} and up to {@code outputTokens}. */
    public void record(String tenant, int promptTokens, int outputTokens, long nowNanos) {
        double work = inputWeight * promptTokens + outputWeight * outputTokens;
        double[] cell = demand.get(tenant);
        if (cell == null) {
            cell = new double[] {0, nowNanos, 0, 0}; // {demand, at, exceeds its share, fraction at the last reshare}
            demand.put(tenant, cell);
        }
        cell[0] = decayed(cell, nowNanos) + work;
        cell[1] = nowNanos;
        total = totalAt == Long.MIN_VALUE ? work : total * keep(nowNanos - totalAt) + work;
        totalAt = nowNanos;
        sharesAt = Long.MIN_VALUE;
    }

    /** {@code tenant}'s fraction of the recent demand, in [0, 1]. */
    public double fraction(String tenant, long nowNanos) {
        double[] cell = demand.get(tenant);
        if (cell == null || total <= 0) {
            return 0;
        }
        double all = total * keep(nowNanos - totalAt);
        return all <= 0 ? 0 : Math.min(1, decayed(cell, nowNanos) / all);
    }

    /** Whether {@code tenant}'s fraction of the demand is past the margin above its weighted share. */
    public boolean exceedsShare(String tenant, long nowNanos) {
        double[] cell = demand.get(tenant);
        if (cell == null) {
            return false;
        }
        if (sharesAt != nowNanos) {
            reshare(nowNanos);
            cell = demand.get(tenant);
            if (cell == null) {
                return false;
            }
        }
        return cell[2] != 0;
    }

    @Override
    public boolean exceeds(String tenant, long nowNanos) {
        return exceedsShare(tenant, nowNanos);
    }

    @Override
    public boolean anyExceeds(long nowNanos) {
        if (sharesAt != nowNanos) {
            reshare(nowNanos);
        }
        return exceeding > 0;
    }

    /** Recomputes who exceeds its share at {@code now} (once per distinct time; O(tenants)). */
    private void reshare(long nowNanos) {
        double activeWeight = 0;
        int activeTenants = 0;
        double smallWeight = 0;
        int smallTenants = 0;
        double all = total <= 0 ? 0 : total * keep(nowNanos - totalAt);
        for (var it = demand.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            double[] cell = e.getValue();
            double g = all <= 0 ? 0 : Math.min(1, decayed(cell, nowNanos) / all);
            cell[3] = g;
            if (g >= ACTIVE_FRACTION) {
                activeWeight += weight.applyAsDouble(e.getKey());
                activeTenants++;
            } else if (g < FORGOTTEN_FRACTION) {
                it.remove(); // gone quiet for many windows
            } else {
                smallWeight += weight.applyAsDouble(e.getKey());
                smallTenants++;
            }
        }
        if (activeTenants == 1 && smallTenants > 0) {
            // One tenant holds 99% or more and others still ask for something: they count, or it could never exceed.
            activeWeight += smallWeight;
            activeTenants += smallTenants;
        }
        int n = 0;
        for (var e : demand.entrySet()) {
            double share = activeWeight <= 0 ? 1 : weight.applyAsDouble(e.getKey()) / activeWeight;
            boolean over = activeTenants > 1 && e.getValue()[3] > share + margin * (1 - share);
            e.getValue()[2] = over ? 1 : 0;
            if (over) {
                n++;
            }
        }
        exceeding = n;
        sharesAt = nowNanos;
    }

    private double decayed(double[] cell, long nowNanos) {
        return cell[0] * keep(nowNanos - (long) cell[1]);
    }

    private double keep(long dt) {
        return dt <= 0 ? 1 : Math.exp(-dt / windowNanos);
    }
}
