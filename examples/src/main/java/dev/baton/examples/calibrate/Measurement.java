package dev.baton.examples.calibrate;

import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.cost.CalibratedCostModel;
import dev.baton.accelerator.cost.Operator;

/**
 * One measured row of a public profile, at the granularity the profile measured it: one call of a dense operator, or
 * one layer's attention over a batch. {@link #predict} asks the cost model for the same quantity through its own
 * component methods, the ones its {@code stepNanos} sums.
 */
public sealed interface Measurement {

    /** Measured time, nanoseconds. */
    double measuredNanos();

    /** The model's prediction of the same quantity, nanoseconds. */
    double predict(CalibratedCostModel model);

    /** Which component of the model the row measures, e.g. {@code qkv_proj} or {@code attention}. */
    String component();

    /**
     * One call of a dense operator over {@code rows} rows (tokens, or sequences for the per-sequence operators).
     */
    record OperatorCall(Operator op, int rows, double measuredNanos) implements Measurement {
        @Override
        public double predict(CalibratedCostModel model) {
            return model.operatorNanos(op, rows);
        }

        @Override
        public String component() {
            return op.profileName();
        }
    }

    /** One layer's attention over the batch {@code shape}. */
    record Attention(StepShape shape, double measuredNanos) implements Measurement {
        @Override
        public double predict(CalibratedCostModel model) {
            return model.attentionNanos(shape);
        }

        @Override
        public String component() {
            return "attention";
        }
    }

    /** One all-reduce of {@code bytes} over the group. */
    record AllReduce(double bytes, double measuredNanos) implements Measurement {
        @Override
        public double predict(CalibratedCostModel model) {
            return model.allReduceNanos(bytes);
        }

        @Override
        public String component() {
            return "all_reduce";
        }
    }
}
