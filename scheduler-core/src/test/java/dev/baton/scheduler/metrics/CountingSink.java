package dev.baton.scheduler.metrics;

import java.util.HashMap;
import java.util.Map;

/** A metrics sink for tests that adds up counters by name ({@code name{label}} for labelled ones). */
public final class CountingSink implements MetricsSink {
    public final Map<String, Long> counters = new HashMap<>();

    @Override
    public void gauge(String name, double value) {
    }

    @Override
    public void count(String name, String label, long delta) {
        counters.merge(label == null ? name : name + "{" + label + "}", delta, Long::sum);
    }

    @Override
    public void observe(String name, double value) {
    }
}
