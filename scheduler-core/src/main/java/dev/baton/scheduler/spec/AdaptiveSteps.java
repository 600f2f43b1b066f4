package dev.baton.scheduler.spec;

import java.util.Arrays;

/**
 * SGLang's adaptive speculative steps ({@code adaptive_spec_params.py}, anchors §1.7 P8): per batch-size slot, a
 * short list of candidate K values and an exponential moving average of accepted drafts per request; K steps down
 * when the average says fewer drafts are being accepted than K and probes one step up when nearly all are.
 *
 * <h2>Rule (per slot)</h2>
 * <ul>
 *   <li>After each verification with {@code K > 0}: {@code ema = (1 - 0.2) ema + 0.2 x mean accepted drafts per
 *   request}; the EMA starts at {@code K - 1}.</li>
 *   <li>The slot recomputes K after {@value #WARMUP} warm-up batches and then every {@value #INTERVAL} batches.</li>
 *   <li>Recompute: at {@code K = 0} probe the next candidate up (and if the EMA is still negative reset it to the new
 *   {@code K - 1}); otherwise step down while {@code ema <= (prev - 0.5) + downHysteresis} ({@code 0.5} when
 *   {@code prev = 0}), and if it did not step down, step up while {@code ema > (K - 0.5) + upHysteresis}. In short
 *   {@code K ~ round(ema) + 1}: probe one step beyond what is being accepted.</li>
 * </ul>
 * The batch is routed to the slot with the closest batch size (SGLang first pads it to a CUDA-graph batch size;
 * Baton has no graph sizes to pad to). SGLang's optional {@code ceiling_coeff} cap is not implemented. Defaults:
 * batch 1 {@code [1, 3, 5, 7]} (down hysteresis -0.25), 8 {@code [0, 1, 3]}, 32 {@code [0, 1]}, 64 {@code [0]}.
 *
 * <p>Engine thread only; allocation-free.
 */
public final class AdaptiveSteps implements DraftLengthPolicy {

    static final int WARMUP = 10;
    static final int INTERVAL = 5;
    static final double EMA_WEIGHT = 0.2;

    /** One batch-size slot: its candidates, hysteresis, current K and EMA. */
    public static final class Slot {
        private final int batchSize;
        private final int[] candidates;
        private final double downHysteresis;
        private final double upHysteresis;
        private int current;
        private double ema;
        private int batches;

        /**
         * @param batchSize      the batch size this slot serves (batches route to the closest)
         * @param candidates     K values, strictly increasing, not negative
         * @param downHysteresis added to the step-down threshold (SGLang: -0.25 for batch 1)
         * @param upHysteresis   added to the step-up threshold
         */
        public Slot(int batchSize, int[] candidates, double downHysteresis, double upHysteresis) {
            if (candidates.length == 0) {
                throw new IllegalArgumentException("a slot needs at least one candidate K");
            }
            for (int i = 0; i < candidates.length; i++) {
                if (candidates[i] < 0 || (i > 0 && candidates[i] <= candidates[i - 1])) {
                    throw new IllegalArgumentException("candidates must be strictly increasing and not negative, got "
                            + Arrays.toString(candidates));
                }
            }
            this.batchSize = batchSize;
            this.candidates = candidates.clone();
            this.downHysteresis = downHysteresis;
            this.upHysteresis = upHysteresis;
            start(candidates[candidates.length - 1]);
        }

        /** Starts at the largest candidate not above {@code k} (the smallest if none), with the EMA at K - 1. */
        void start(int k) {
            current = candidates[0];
            for (int c : candidates) {
                if (c <= k) {
                    current = c;
                }
            }
            ema = current - 1;
            batches = 0;
        }

        /** Sets the state, for tests and for restoring a tuned policy. */
        public void set(int k, double ema) {
            if (Arrays.binarySearch(candidates, k) < 0) {
                throw new IllegalArgumentException(k + " is not a candidate of " + Arrays.toString(candidates));
            }
            this.current = k;
            this.ema = ema;
        }

        /** Applies the recompute rule once and returns the new K. */
        public int recompute() {
            int idx = Arrays.binarySearch(candidates, current);
            if (current == 0) {
                if (idx + 1 < candidates.length) {
                    current = candidates[idx + 1];
                    if (ema < 0) {
                        ema = current - 1;
                    }
                }
                return current;
            }
            boolean down = false;
            while (idx > 0) {
                int prev = candidates[idx - 1];
                double threshold = prev == 0 ? 0.5 : (prev - 0.5) + downHysteresis;
                if (ema > threshold) {
                    break;
                }
                idx--;
                down = true;
            }
            if (!down) {
                while (idx + 1 < candidates.length && ema > (candidates[idx] - 0.5) + upHysteresis) {
                    idx++;
                }
            }
            current = candidates[idx];
            return current;
        }

        /** One batch routed to this slot; {@code meanAccepted} is NaN when nothing was verified. */
        void batchDone(double meanAccepted) {
            if (current > 0 && !Double.isNaN(meanAccepted)) {
                ema = (1 - EMA_WEIGHT) * ema + EMA_WEIGHT * meanAccepted;
            }
            batches++;
            if (batches >= WARMUP && (batches - WARMUP) % INTERVAL == 0) {
                recompute();
            }
        }

        public int current() {
            return current;
        }

        public double ema() {
            return ema;
        }

        public int batchSize() {
            return batchSize;
        }
    }

    private final Slot[] slots;
    private Slot last;
    private long requests;
    private long acceptedDrafts;

    /** SGLang's default slots. */
    public AdaptiveSteps() {
        this(new Slot(1, new int[] {1, 3, 5, 7}, -0.25, 0), new Slot(8, new int[] {0, 1, 3}, 0, 0),
                new Slot(32, new int[] {0, 1}, 0, 0), new Slot(64, new int[] {0}, 0, 0));
    }

    public AdaptiveSteps(Slot... slots) {
        if (slots.length == 0) {
            throw new IllegalArgumentException("at least one batch-size slot is required");
        }
        this.slots = slots.clone();
    }

    @Override
    public void attach(SpeculationTarget target) {
        for (Slot s : slots) {
            s.start(target.maxDrafts());
        }
    }

    @Override
    public int draftLength(DraftBatch batch) {
        last = route(batch.size());
        return last.current;
    }

    @Override
    public void observe(int drafted, int accepted) {
        requests++;
        acceptedDrafts += accepted;
    }

    @Override
    public void endStep() {
        if (last != null) {
            last.batchDone(requests == 0 ? Double.NaN : (double) acceptedDrafts / requests);
        }
        requests = 0;
        acceptedDrafts = 0;
    }

    /** The slot a batch of {@code batchSize} routes to: the closest batch size, the smaller on a tie. */
    public Slot route(int batchSize) {
        Slot best = slots[0];
        for (Slot s : slots) {
            if (Math.abs(s.batchSize - batchSize) < Math.abs(best.batchSize - batchSize)) {
                best = s;
            }
        }
        return best;
    }
}
