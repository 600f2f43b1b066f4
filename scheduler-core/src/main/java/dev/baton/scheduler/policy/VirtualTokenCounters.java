package dev.baton.scheduler.policy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The Virtual Token Counter of Sheng et al., "Fairness in Serving Large Language Models" (OSDI'24): one counter per
 * tenant, the weighted service it has received, divided by its weight. The scheduler admits from the backlogged
 * tenant with the smallest counter; input tokens are charged when a request is admitted, output tokens as they are
 * generated. A tenant that returns after being idle is <em>lifted</em> to the smallest counter among the backlogged
 * tenants (or to the counter of the tenant that left the queue last, when none is backlogged), so idle time banks no
 * credit and a returning tenant cannot starve the others.
 *
 * <pre>
 *   service(f)  = w_in x (prompt tokens of f's admitted requests) + w_out x (tokens generated for f)
 *   counter(f)  = lifts + service(f) / weight(f)
 * </pre>
 *
 * <p>Confined to the engine thread (the queue that owns it). Accounts are created on a tenant's first request and
 * kept; charging is a hash lookup and an add, allocation-free.
 */
public final class VirtualTokenCounters {
    private final Map<String, Double> weights;
    private final double defaultWeight;
    private final double inputWeight;
    private final double outputWeight;
    private final HashMap<String, Account> accounts = new HashMap<>();
    private Account[] backlogged = new Account[16];
    private int numBacklogged;
    private Account lastLeft;

    /**
     * @param weights       tenant weights (a tenant with weight 2 receives twice the service of one with weight 1)
     * @param defaultWeight the weight of tenants not in {@code weights}
     * @param inputWeight   {@code w_in}, the cost of one prompt token
     * @param outputWeight  {@code w_out}, the cost of one generated token
     */
    public VirtualTokenCounters(Map<String, Double> weights, double defaultWeight, double inputWeight,
                                double outputWeight) {
        this.weights = Map.copyOf(Objects.requireNonNull(weights, "weights"));
        for (Map.Entry<String, Double> e : this.weights.entrySet()) {
            positive(e.getValue(), "weight of tenant '" + e.getKey() + "'");
        }
        positive(defaultWeight, "default tenant weight");
        positive(inputWeight, "input token weight");
        positive(outputWeight, "output token weight");
        this.defaultWeight = defaultWeight;
        this.inputWeight = inputWeight;
        this.outputWeight = outputWeight;
    }

    /** Equal weights, input and output tokens at cost 1. */
    public static VirtualTokenCounters equalWeights() {
        return new VirtualTokenCounters(Map.of(), 1, 1, 1);
    }

    /** A tenant's counter (0 for a tenant never seen). */
    public double counter(String tenant) {
        Account a = accounts.get(tenant);
        return a == null ? 0 : a.counter;
    }

    /** A tenant's weighted service so far ({@code w_in x input + w_out x output}, without lifts). */
    public double service(String tenant) {
        Account a = accounts.get(tenant);
        return a == null ? 0 : a.service;
    }

    public double weight(String tenant) {
        return weights.getOrDefault(tenant, defaultWeight);
    }

    public double inputWeight() {
        return inputWeight;
    }

    public double outputWeight() {
        return outputWeight;
    }

    /** The account of {@code tenant}, created on first use. */
    Account account(String tenant) {
        Account a = accounts.get(tenant);
        if (a == null) {
            a = new Account(tenant, weight(tenant));
            accounts.put(tenant, a);
        }
        return a;
    }

    /** A new request of {@code a} joins the queue; a tenant that was not backlogged is lifted first. */
    void arrived(Account a) {
        if (a.queued == 0) {
            double floor = numBacklogged > 0 ? minBacklogged() : lastLeft != null ? lastLeft.counter : a.counter;
            a.counter = Math.max(a.counter, floor);
        }
        joined(a);
    }

    /** A sequence of {@code a} joins the queue without being a new arrival (preempted, set aside, forked). */
    void joined(Account a) {
        if (a.queued++ == 0) {
            if (numBacklogged == backlogged.length) {
                backlogged = Arrays.copyOf(backlogged, numBacklogged * 2);
            }
            a.backlogIndex = numBacklogged;
            backlogged[numBacklogged++] = a;
        }
    }

    /** A sequence of {@code a} left the queue. */
    void left(Account a) {
        if (--a.queued == 0) {
            Account moved = backlogged[--numBacklogged];
            backlogged[a.backlogIndex] = moved;
            moved.backlogIndex = a.backlogIndex;
            backlogged[numBacklogged] = null;
            a.backlogIndex = -1;
            lastLeft = a;
        }
    }

    void chargeInput(Account a, int tokens) {
        a.service += inputWeight * tokens;
        a.counter += inputWeight * tokens / a.weight;
    }

    void chargeOutput(Account a, int tokens) {
        a.service += outputWeight * tokens;
        a.counter += outputWeight * tokens / a.weight;
    }

    private double minBacklogged() {
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < numBacklogged; i++) {
            min = Math.min(min, backlogged[i].counter);
        }
        return min;
    }

    private static void positive(double v, String what) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " must be a positive finite number, got " + v);
        }
    }

    /** One tenant's counter and backlog. */
    static final class Account {
        final String tenant;
        final double weight;
        double counter;
        double service;
        int queued;
        int backlogIndex = -1;

        Account(String tenant, double weight) {
            this.tenant = tenant;
            this.weight = weight;
        }
    }
}
