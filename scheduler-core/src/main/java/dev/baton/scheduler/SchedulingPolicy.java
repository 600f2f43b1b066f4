package dev.baton.scheduler;

import dev.baton.scheduler.admission.AdmissionPolicy;
import dev.baton.scheduler.compose.BatchComposer;
import dev.baton.scheduler.preemption.VictimSelector;
import dev.baton.scheduler.queue.RequestQueue;

import java.util.Objects;

/**
 * A complete scheduling policy: which waiting request goes next ({@link RequestQueue}), how each step's budget is
 * shared ({@link BatchComposer}), who is preempted ({@link VictimSelector}) and who is refused at the door
 * ({@link AdmissionPolicy}). The parts of one policy often cooperate (a fair composer reads the fair queue's counters),
 * so they are assembled together, once per engine, when the device is open.
 *
 * <p>The policies Baton ships are found by name in {@code dev.baton.scheduler.policy.SchedulingPolicies}.
 */
public interface SchedulingPolicy {

    /** The policy's name ({@code vllm}, {@code sarathi}, {@code slo}, {@code fair}, {@code priority}, ...). */
    String name();

    /** Builds fresh parts for one engine; called once per {@link Engines.Builder#buildCore()}. */
    Parts assemble(EngineSetup setup);

    /** Installs this policy in {@code builder} (same as {@code builder.policy(this)}). */
    default Engines.Builder applyTo(Engines.Builder builder) {
        return builder.policy(this);
    }

    /** The parts of a policy for one engine. Parts are engine-confined and must not be shared between engines. */
    record Parts(RequestQueue queue, BatchComposer composer, VictimSelector victims, AdmissionPolicy admission) {
        public Parts {
            Objects.requireNonNull(queue, "queue");
            Objects.requireNonNull(composer, "composer");
            Objects.requireNonNull(victims, "victims");
            Objects.requireNonNull(admission, "admission");
        }
    }
}
