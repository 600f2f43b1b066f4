package dev.baton.examples.replay;

import dev.baton.accelerator.DeviceInfo;
import dev.baton.api.request.SloTargets;
import dev.baton.examples.workload.Tenant;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;

import java.util.List;
import java.util.Set;

/**
 * A scheduling policy as {@code baton replay --policies} knows it: a name, and how it configures an engine. The small
 * seam between replay and the library's policies; see {@link ReplayPolicies} for the registered ones.
 *
 * <p>{@link #configure} runs after the engine knobs of {@code --engine} (with vLLM's defaults) are in the config
 * builder. A policy changes the knobs it owns through the {@link EngineConfig.Builder} (and leaves alone those in
 * {@link Setup#explicitKnobs()}, which the user set), and sets queue, composer, victims and admission on the
 * {@link Engines.Builder}. It must not open a device or set the builder's config, accelerator config or clock: replay
 * does that afterwards from the final config.
 */
public interface ReplayPolicy {

    String name();

    /** One line for help and reports. */
    String description();

    void configure(Engines.Builder engine, EngineConfig.Builder config, Setup setup);

    /**
     * What a policy may take into account.
     *
     * @param device         the device it runs on
     * @param slo            the run's latency targets (also on every request)
     * @param tenants        the workload's tenants, with their weights and priorities
     * @param explicitKnobs  engine knobs the user set on the command line (a policy must not override them)
     */
    record Setup(DeviceInfo device, SloTargets slo, List<Tenant> tenants, Set<String> explicitKnobs) {
    }

    /** A policy from a name, a description and a configuration function. */
    static ReplayPolicy of(String name, String description, Configurer configurer) {
        return new ReplayPolicy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String description() {
                return description;
            }

            @Override
            public void configure(Engines.Builder engine, EngineConfig.Builder config, Setup setup) {
                configurer.configure(engine, config, setup);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    /** The configuration step of {@link #of}. */
    @FunctionalInterface
    interface Configurer {
        void configure(Engines.Builder engine, EngineConfig.Builder config, Setup setup);
    }
}
