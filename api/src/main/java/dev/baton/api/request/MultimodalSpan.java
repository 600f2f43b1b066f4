package dev.baton.api.request;

import static dev.baton.api.request.InvalidRequestException.check;

/**
 * A multimodal item (an image, an audio clip) embedded in the prompt: its placeholder tokens occupy positions
 * {@code [offset, offset + length)}. The identifier is a content hash supplied by the caller; it enters the
 * prefix-cache key of every KV block the item overlaps, so the same placeholder tokens with a different image never
 * share KV.
 *
 * @param identifier content identifier (a hash of the item's bytes), non-empty
 * @param offset     first prompt position of the item's placeholder tokens, {@code >= 0}
 * @param length     number of placeholder tokens, {@code >= 1}
 */
public record MultimodalSpan(String identifier, int offset, int length) {
    public MultimodalSpan {
        check(identifier != null && !identifier.isEmpty(), "multimodal.identifier",
                "must be a non-empty content identifier");
        check(offset >= 0, "multimodal.offset", "must not be negative, got " + offset);
        check(length >= 1, "multimodal.length", "must be at least 1, got " + length);
        // offset + length must be a position, or end() wraps negative and the span passes any prompt-length check.
        check(length <= Integer.MAX_VALUE - offset, "multimodal.length",
                "offset + length must not exceed " + Integer.MAX_VALUE + ", got offset " + offset + " and length "
                        + length);
    }

    /** Exclusive end position. */
    public int end() {
        return offset + length;
    }
}
