package dev.baton.accelerator.conformance;

import java.util.List;

/** The sequences a {@link PlanDriver} runs together. */
public record Workload(List<SequenceSpec> sequences) {
    public Workload {
        sequences = List.copyOf(sequences);
        for (int i = 0; i < sequences.size(); i++) {
            int from = sequences.get(i).shareFrom();
            if (from >= i) {
                throw new IllegalArgumentException("sequence " + i + " can only share a prefix with an earlier one, got "
                        + from);
            }
        }
    }

    public static Workload of(SequenceSpec... sequences) {
        return new Workload(List.of(sequences));
    }

    public int size() {
        return sequences.size();
    }

    public SequenceSpec get(int i) {
        return sequences.get(i);
    }
}
