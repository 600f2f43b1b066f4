package dev.baton.scheduler.admission;

import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;

/**
 * The basic bounds every engine needs: token ids inside the vocabulary, prompt and output within the model length,
 * a request that could fit in KV at all, and the waiting-queue bounds ({@code max-num-queued-reqs},
 * {@code max-num-queued-tokens}). The reservation in the queue bounds is held from admission until the request is first
 * scheduled (or ends without being scheduled).
 *
 * <p>In an {@link AdmissionChain} the two halves go apart: {@link #shape()} first (so that a malformed request hears
 * what is wrong with it, not that the engine is busy), {@link #queueBounds()} last (so that the decisions in between
 * see the queue without this request, and the reservation is the last thing made).
 */
public class BasicAdmission implements AdmissionPolicy {

    /** Only the checks against the engine's fixed limits (vocabulary, model length, KV capacity); reserves nothing. */
    public static AdmissionPolicy shape() {
        return new BasicAdmission()::checkShape;
    }

    /** Only the waiting-queue bounds ({@code max-num-queued-reqs}, {@code max-num-queued-tokens}), with reservation. */
    public static AdmissionPolicy queueBounds() {
        return new BasicAdmission() {
            @Override
            public Rejection admit(InferenceRequest r, AdmissionContext ctx) {
                return reserveQueue(r, ctx);
            }
        };
    }

    @Override
    public Rejection admit(InferenceRequest r, AdmissionContext ctx) {
        Rejection invalid = checkShape(r, ctx);
        if (invalid != null) {
            return invalid;
        }
        return reserveQueue(r, ctx);
    }

    /** Reserves the request's place in the queue bounds, or says which bound refused it. */
    protected Rejection reserveQueue(InferenceRequest r, AdmissionContext ctx) {
        AdmissionContext.Bound bound = ctx.tryReserve(r.promptLength());
        if (bound == AdmissionContext.Bound.REQUESTS) {
            return Rejection.of(RejectionReason.QUEUE_FULL, "the waiting queue holds " + ctx.queuedRequests()
                    + " requests, its bound (max-num-queued-reqs " + ctx.maxQueuedRequests()
                    + "); retry later or on another replica");
        }
        if (bound == AdmissionContext.Bound.TOKENS) {
            return Rejection.of(RejectionReason.QUEUED_TOKENS_FULL, "the waiting queue holds " + ctx.queuedTokens()
                    + " prompt tokens and this request adds " + r.promptLength() + ", over its bound"
                    + " (max-num-queued-tokens " + ctx.maxQueuedTokens() + "); retry later or on another replica");
        }
        return null;
    }

    /** The checks that depend only on the request and the engine's fixed limits. */
    protected Rejection checkShape(InferenceRequest r, AdmissionContext ctx) {
        int prompt = r.promptLength();
        for (int i = 0; i < prompt; i++) {
            int t = r.promptToken(i);
            if (t >= ctx.vocabSize()) {
                return Rejection.of(RejectionReason.INVALID_REQUEST, "prompt token " + t + " at position " + i
                        + " is outside the model's vocabulary (ids 0.." + (ctx.vocabSize() - 1) + "); use this"
                        + " model's tokenizer");
            }
        }
        int maxTokens = r.sampling().maxTokens();
        if (prompt >= ctx.maxModelLen()) {
            return Rejection.of(RejectionReason.PROMPT_TOO_LONG, "the prompt has " + prompt
                    + " tokens; this engine serves at most " + (ctx.maxModelLen() - 1)
                    + " prompt tokens (max-model-len " + ctx.maxModelLen() + "); shorten the prompt");
        }
        if ((long) prompt + maxTokens > ctx.maxModelLen()) {
            return Rejection.of(RejectionReason.PROMPT_TOO_LONG, "prompt (" + prompt + " tokens) plus maxTokens ("
                    + maxTokens + ") exceeds max-model-len " + ctx.maxModelLen() + "; lower maxTokens to at most "
                    + (ctx.maxModelLen() - prompt));
        }
        long blocks = ((long) prompt + maxTokens + ctx.blockSize() - 1) / ctx.blockSize();
        if (blocks > ctx.usableKvBlocks()) {
            return Rejection.of(RejectionReason.EXCEEDS_KV_CAPACITY, "prompt plus maxTokens needs " + blocks
                    + " KV blocks but the device holds " + ctx.usableKvBlocks() + "; lower maxTokens or the prompt to"
                    + " at most " + ((long) ctx.usableKvBlocks() * ctx.blockSize()) + " tokens in total");
        }
        return null;
    }

    @Override
    public void release(InferenceRequest r, AdmissionContext ctx) {
        ctx.release(r.promptLength());
    }

    @Override
    public void onStarted(InferenceRequest r, AdmissionContext ctx) {
        ctx.release(r.promptLength());
    }

    @Override
    public void onEnded(InferenceRequest r, boolean started, AdmissionContext ctx) {
        if (!started) {
            ctx.release(r.promptLength());
        }
    }
}
