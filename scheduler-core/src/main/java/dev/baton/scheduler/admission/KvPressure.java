package dev.baton.scheduler.admission;

import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * KV-usage watermarks at the door ({@code KV_PRESSURE}, 503): once the engine's KV usage reaches {@code high}, new
 * requests are refused until it falls back to {@code low}, so that memory pressure is relieved by refusing new work
 * rather than by preempting (and recomputing) running work. The gap between the two marks is hysteresis: without it
 * the door would flap open and shut with every step's published usage.
 *
 * <p>Lock-free: the throttle state is one {@link AtomicBoolean}, flipped by whichever caller first sees the usage
 * cross a mark; the usage is the engine's last published value ({@link AdmissionContext#kvUsage()}).
 */
public final class KvPressure implements AdmissionPolicy {
    private final double high;
    private final double low;
    private final AtomicBoolean throttling = new AtomicBoolean();

    /**
     * @param high usage at which new requests are refused, in (0, 1]
     * @param low  usage below which they are admitted again, in [0, high]
     */
    public KvPressure(double high, double low) {
        if (!(high > 0 && high <= 1)) {
            throw new IllegalArgumentException("the high KV watermark must be in (0, 1], got " + high);
        }
        if (!(low >= 0 && low <= high)) {
            throw new IllegalArgumentException("the low KV watermark must be in [0, high=" + high + "], got " + low);
        }
        this.high = high;
        this.low = low;
    }

    @Override
    public Rejection admit(InferenceRequest r, AdmissionContext ctx) {
        double usage = ctx.kvUsage();
        if (usage >= high) {
            throttling.set(true);
        } else if (usage <= low) {
            throttling.set(false);
        }
        if (!throttling.get()) {
            return null;
        }
        return Rejection.of(RejectionReason.KV_PRESSURE, String.format("KV cache usage is %.1f%%; new requests are"
                + " refused from %.0f%% until it falls to %.0f%%, so that running requests are not preempted;"
                + " retry later or on another replica", usage * 100, high * 100, low * 100));
    }

    /** Whether the door is currently shut. */
    public boolean isThrottling() {
        return throttling.get();
    }
}
