package dev.baton.kv;

import dev.baton.api.plan.StepPlan;

import java.util.List;

/**
 * The only KV type the scheduler talks to: it hides the block pool, the prefix cache, the host tier and the eviction
 * and offload policies behind a few transactional operations. Pure bookkeeping: it never touches device memory, it
 * decides which block ids each sequence reads and writes and which blocks move between tiers, and hands those moves
 * to the step plan ({@link #drainMoves}).
 *
 * <h2>Step protocol (engine thread only)</h2>
 * <ol>
 *   <li>For a waiting sequence: {@link #lookupPrefix} stages a prefix hit, then {@link #allocateSlots} applies it and
 *   allocates the rest, all or nothing.</li>
 *   <li>For a running sequence: {@link #allocateSlots} for the tokens (and draft lookahead) of this step.</li>
 *   <li>Preemption: {@link #free} (recompute) or {@link #swapOut} (swap); resuming a swapped sequence:
 *   {@link #swapIn}.</li>
 *   <li>{@link #drainMoves} appends the step's block moves to the plan, which the device runs before the forward
 *   pass.</li>
 *   <li>After the device reports the step: {@link #commit} for every sequence with the tokens whose KV is now valid
 *   (accepted tokens only, never rejected drafts), then {@link #stepCompleted}.</li>
 * </ol>
 *
 * <h2>Invariants</h2>
 * Every device and host block is either free or referenced by exactly as many holders as its reference count says
 * (sequences that hold it, plus pins of in-flight loads); free + used = pool size in each tier; block 0 of the device
 * tier is the null block and is never handed out; no block id is held twice by one sequence. A prefix hit only ever
 * returns blocks whose tokens and key context (salt, LoRA, multimodal) match the sequence's.
 */
public interface KvCacheManager {

    /**
     * A paged KV-cache manager (vLLM v1 semantics: block pool with a reserved null block, chained-hash prefix cache,
     * lazy LRU eviction, transactional allocation) with the configured eviction policy, host tier and events.
     */
    static KvCacheManager create(KvCacheConfig config) {
        return new PagedKvCacheManager(config);
    }

    /** The configuration this manager was built with. */
    KvCacheConfig config();

    /**
     * Creates the KV state of a new sequence; allocates no blocks.
     *
     * @param tokens  the sequence's tokens (read when full blocks are hashed)
     * @param context LoRA, salt and multimodal keys of the sequence
     */
    KvSequence open(TokenSequence tokens, CacheKeyContext context);

    /**
     * Like {@link #open(TokenSequence, CacheKeyContext)}, with a retention for its blocks once released (used by
     * {@link KvCacheConfig.EvictionPolicyKind#PRIORITY}, ignored by the other policies).
     */
    KvSequence open(TokenSequence tokens, CacheKeyContext context, KvRetention retention);

    /**
     * Binds a handle that holds no blocks (freed, never allocated) to a new sequence, reusing its arrays, so that a
     * caller that pools handles allocates nothing per request. The handle's retention resets to the default.
     *
     * @throws IllegalStateException if the handle still holds or swapped out blocks
     */
    void reopen(KvSequence seq, TokenSequence tokens, CacheKeyContext context);

    /**
     * Looks up the longest cached prefix of a sequence that holds no blocks and stages it for the next
     * {@link #allocateSlots}. The hit is block-aligned and capped at {@code length - 1} tokens (the last prompt token is
     * always recomputed to produce logits). Hits may come from the device tier or the host tier (which will be swapped
     * in). Changes nothing else; a later allocation failure leaves the cache as it was.
     *
     * @return the number of tokens served by the cache
     */
    int lookupPrefix(KvSequence seq);

    /**
     * Makes room for a step: after success, positions {@code [0, numComputed + numNewTokens + numLookahead)} have
     * block slots. A staged prefix hit is applied first (then {@code numComputed} must equal the hit). Shared partial
     * blocks about to be written are copied first (copy-on-write). All or nothing: on failure, nothing changes, except
     * that sliding-window blocks that left the window are released first (as vLLM does; the sequence can never read
     * them again). A staged hit whose blocks were evicted since the lookup fails the call and is discarded: look up
     * again.
     *
     * @param numComputed   tokens whose KV the sequence already has (or takes from the staged hit)
     * @param numNewTokens  tokens computed in this step
     * @param numLookahead  extra slots for speculative draft tokens
     * @return whether the slots were allocated
     */
    boolean allocateSlots(KvSequence seq, int numComputed, int numNewTokens, int numLookahead);

    /**
     * Records that the first {@code numComputed} tokens of the sequence have valid KV; full blocks among them enter the
     * prefix cache (and are announced by a {@code BLOCK_STORED} event).
     */
    void commit(KvSequence seq, int numComputed);

    /** Releases every block of the sequence, tail first, so that its tail is evicted before its head. */
    void free(KvSequence seq);

    /**
     * Preempts by swapping: copies the sequence's device blocks to the host tier (emitting SWAP_OUT moves) and frees
     * the device blocks. All or nothing.
     *
     * @return false if the host tier cannot take them (the caller falls back to recompute)
     */
    boolean swapOut(KvSequence seq);

    /**
     * Brings a swapped-out sequence back: allocates device blocks, emits SWAP_IN moves and frees its host blocks.
     * All or nothing.
     *
     * @param numLookahead extra device slots to reserve beyond the sequence's swapped blocks
     * @return false if the device tier cannot take them now
     */
    boolean swapIn(KvSequence seq, int numLookahead);

    /**
     * Forks {@code child} from {@code parent} (parallel sampling, beam-style branching): the child shares every block of
     * the parent, full or partial, by reference; a shared partial block is copied when either side next writes to it.
     * The child must hold no blocks. A child forked from a sequence whose blocks are still arriving (swap-in moves not
     * yet run) shares that step's fate: if the step fails, the caller recomputes the child as well as the parent.
     */
    void fork(KvSequence parent, KvSequence child);

    /** Appends the block moves decided since the last drain to {@code plan}, in the order they must run. */
    void drainMoves(StepPlan plan);

    /**
     * The oldest drained step that has not completed yet finished (steps complete in drain order, so one-step-ahead
     * scheduling works). On success, blocks that were loaded from the host tier become ordinary cached blocks, blocks
     * offloaded to the host tier become findable there, and the host copies pinned by loads are released
     * (KV-29..KV-31). On failure, the contents of blocks written or loaded by that step are unknown: none of them
     * enters a cache; a sequence swapped out in that step lost its KV (afterwards it is neither swapped out nor
     * holding blocks and must be recomputed), and the caller frees or recomputes the sequences that ran in it.
     */
    void stepCompleted(boolean success);

    /**
     * Drops every cached block hash (RLHF weight updates, KV-13). Fails, changing nothing, unless every device block
     * is free.
     *
     * @return whether the cache was reset
     */
    boolean resetPrefixCache();

    /** Free device blocks that can be allocated now (free list, cached or not; excludes the null block). */
    int numFreeBlocks();

    /** Blocks a sequence of {@code numTokens} tokens needs in each group, from scratch (admission arithmetic). */
    int blocksNeeded(int numTokens);

    /** Fraction of usable device blocks in use, 0..1. */
    double usage();

    /** Counters since creation. */
    KvCacheStats stats();

    /** Moves the cache events recorded since the last call into {@code out}; empty unless events are enabled. */
    void drainEvents(List<KvCacheEvent> out);
}
