package dev.baton.kv;

import dev.baton.api.request.MultimodalSpan;

import java.util.List;
import java.util.Objects;

/**
 * What besides token ids decides whether two sequences may share KV: the LoRA adapter (in every block's key), the
 * cache salt (in the first block's key only; later blocks inherit it through the hash chain) and multimodal items
 * (their identifier and offset relative to the block, in every block they overlap).
 *
 * @param loraName   the adapter's name, or {@code null} for the base model
 * @param cacheSalt  the tenant's salt, or {@code null}
 * @param multimodal multimodal spans of the prompt, sorted by offset
 */
public record CacheKeyContext(String loraName, String cacheSalt, List<MultimodalSpan> multimodal) {

    /** Base model, no salt, text only. */
    public static final CacheKeyContext NONE = new CacheKeyContext(null, null, List.of());

    public CacheKeyContext {
        multimodal = List.copyOf(Objects.requireNonNull(multimodal, "multimodal"));
    }

    public static CacheKeyContext of(String loraName, String cacheSalt) {
        return new CacheKeyContext(loraName, cacheSalt, List.of());
    }
}
