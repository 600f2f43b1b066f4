package dev.baton.accelerator;

/**
 * How a model is split over devices: tensor parallelism (each layer split over {@code tp} devices) and pipeline
 * parallelism (layers split into {@code pp} stages).
 */
public record Parallelism(int tp, int pp) {
    public static final Parallelism NONE = new Parallelism(1, 1);

    public Parallelism {
        if (tp < 1 || Integer.bitCount(tp) != 1) {
            throw new IllegalArgumentException("tensor parallel degree must be a power of two >= 1, got " + tp);
        }
        if (pp < 1) {
            throw new IllegalArgumentException("pipeline parallel degree must be >= 1, got " + pp);
        }
    }

    public static Parallelism tp(int tp) {
        return new Parallelism(tp, 1);
    }

    public int devices() {
        return tp * pp;
    }
}
