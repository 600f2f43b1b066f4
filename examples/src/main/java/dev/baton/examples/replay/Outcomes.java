package dev.baton.examples.replay;

import dev.baton.api.FinishReason;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;

/**
 * What happened to each request of one replay, in primitive arrays indexed by the request's position in the workload
 * (its arrival sequence number), so that a run of tens of thousands of requests keeps no engine objects alive.
 *
 * <p>Filled on the engine's thread by the replay loop (refusals, cut-offs) and through {@link SequenceListener} (ends);
 * read after the run.
 */
public final class Outcomes implements SequenceListener {

    /** Not ended (yet). */
    public static final byte PENDING = 0;
    /** Finished naturally and met both latency targets. */
    public static final byte MET = 1;
    /** Finished naturally, missed a latency target. */
    public static final byte MISSED = 2;
    /** Refused at admission ({@link #reason} holds the {@link RejectionReason} ordinal). */
    public static final byte REFUSED = 3;
    /** Ended early by the engine: timeout, KV exhaustion ({@link #reason} holds the {@link FinishReason} ordinal). */
    public static final byte ABORTED = 4;
    /** Still queued or running when the replay stopped. */
    public static final byte UNFINISHED = 5;

    final int size;
    final long[] arrival;
    final long[] firstToken;
    final long[] end;
    final int[] prompt;
    final int[] output;
    final int[] cached;
    final int[] preemptions;
    final int[] tenant;
    final byte[] state;
    final byte[] reason;
    private final SloTargets slo;
    private long misses;
    private long ended;

    Outcomes(int size, SloTargets slo) {
        this.size = size;
        this.slo = slo;
        arrival = new long[size];
        firstToken = new long[size];
        end = new long[size];
        prompt = new int[size];
        output = new int[size];
        cached = new int[size];
        preemptions = new int[size];
        tenant = new int[size];
        state = new byte[size];
        reason = new byte[size];
        java.util.Arrays.fill(firstToken, -1);
        java.util.Arrays.fill(end, -1);
    }

    void refused(int i, RejectionReason why) {
        state[i] = REFUSED;
        reason[i] = (byte) why.ordinal();
        misses++;
        ended++;
    }

    /** Marks every request not yet ended as unfinished (the replay stopped). */
    void cutOff() {
        for (int i = 0; i < size; i++) {
            if (state[i] == PENDING) {
                state[i] = UNFINISHED;
                misses++;
            }
        }
    }

    @Override
    public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
        // Everything needed is on the Request when it ends.
    }

    @Override
    public void sequenceFinished(Sequence seq, long nowNanos) {
        Request r = seq.request();
        if (!r.isFinished()) {
            return;
        }
        int i = (int) r.arrivalSeq();
        ended++;
        firstToken[i] = r.firstTokenNanos();
        end[i] = r.finishedNanos();
        output[i] = r.numOutputTokens();
        cached[i] = r.cachedPromptTokens();
        preemptions[i] = r.numPreemptions();
        FinishReason fr = seq.finishReason();
        if (!fr.isNatural() || r.firstTokenNanos() < 0) {
            state[i] = ABORTED;
            reason[i] = (byte) fr.ordinal();
            misses++;
            return;
        }
        boolean met = slo.met(ttftNanos(i), tpotNanos(i));
        state[i] = met ? MET : MISSED;
        if (!met) {
            misses++;
        }
    }

    public int size() {
        return size;
    }

    public byte state(int i) {
        return state[i];
    }

    /** Whether request {@code i} finished naturally (met or missed its targets). */
    public boolean finished(int i) {
        return state[i] == MET || state[i] == MISSED;
    }

    public long ttftNanos(int i) {
        return firstToken[i] - arrival[i];
    }

    public long e2eNanos(int i) {
        return end[i] - arrival[i];
    }

    /** Mean time per output token after the first, 0 for a single token (vLLM's definition). */
    public long tpotNanos(int i) {
        return output[i] > 1 ? (end[i] - firstToken[i]) / (output[i] - 1) : 0;
    }

    public long misses() {
        return misses;
    }

    public long ended() {
        return ended;
    }
}
