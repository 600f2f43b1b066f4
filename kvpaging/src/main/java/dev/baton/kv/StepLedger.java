package dev.baton.kv;

import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * The block moves decided since the last {@link #drain}, and for every drained step not yet completed, what must be
 * finished or undone when the device reports it: host blocks pinned by loads, host blocks being written by offloads,
 * sequences being swapped out.
 *
 * <p>Steps complete in the order they were drained (FIFO), so one-step-ahead scheduling (plan {@code N+1} drained
 * before step {@code N} completes) works. Records are pooled: once the deques and arrays have grown, draining and
 * completing steps allocates nothing. Engine thread only.
 */
final class StepLedger {

    /** What one drained step must finish. */
    static final class Step {
        int numLoads;
        int[] loadDevice = new int[8];
        int[] loadGeneration = new int[8];
        int[] loadHost = new int[8];
        int[] loadParent = new int[8];
        int numStores;
        int[] storeHost = new int[8];
        int[] storeEpoch = new int[8];
        final ArrayList<PagedSequence> swappedOut = new ArrayList<>();
        int[] swapGeneration = new int[8];

        void addLoad(int device, int generation, int host, int parent) {
            if (numLoads == loadDevice.length) {
                int n = numLoads * 2;
                loadDevice = Arrays.copyOf(loadDevice, n);
                loadGeneration = Arrays.copyOf(loadGeneration, n);
                loadHost = Arrays.copyOf(loadHost, n);
                loadParent = Arrays.copyOf(loadParent, n);
            }
            loadDevice[numLoads] = device;
            loadGeneration[numLoads] = generation;
            loadHost[numLoads] = host;
            loadParent[numLoads] = parent;
            numLoads++;
        }

        void addStore(int host, int epoch) {
            if (numStores == storeHost.length) {
                storeHost = Arrays.copyOf(storeHost, numStores * 2);
                storeEpoch = Arrays.copyOf(storeEpoch, numStores * 2);
            }
            storeHost[numStores] = host;
            storeEpoch[numStores] = epoch;
            numStores++;
        }

        void addSwapOut(PagedSequence seq) {
            int i = swappedOut.size();
            if (i == swapGeneration.length) {
                swapGeneration = Arrays.copyOf(swapGeneration, i * 2);
            }
            swappedOut.add(seq);
            swapGeneration[i] = seq.swapGeneration;
        }

        void reset() {
            numLoads = 0;
            numStores = 0;
            swappedOut.clear();
        }
    }

    private int numMoves;
    private byte[] moveKind = new byte[16];
    private int[] moveSrc = new int[16];
    private int[] moveDst = new int[16];

    private Step open = new Step();
    private final ArrayDeque<Step> inFlight = new ArrayDeque<>();
    private final ArrayDeque<Step> spare = new ArrayDeque<>();
    private int epoch;

    /** The record of the step being planned. */
    Step open() {
        return open;
    }

    void addMove(BlockMoveKind kind, int src, int dst) {
        if (numMoves == moveKind.length) {
            int n = numMoves * 2;
            moveKind = Arrays.copyOf(moveKind, n);
            moveSrc = Arrays.copyOf(moveSrc, n);
            moveDst = Arrays.copyOf(moveDst, n);
        }
        moveKind[numMoves] = (byte) kind.ordinal();
        moveSrc[numMoves] = src;
        moveDst[numMoves] = dst;
        numMoves++;
    }

    int numPendingMoves() {
        return numMoves;
    }

    BlockMoveKind pendingKind(int i) {
        return KINDS[moveKind[i]];
    }

    int pendingSrc(int i) {
        return moveSrc[i];
    }

    int pendingDst(int i) {
        return moveDst[i];
    }

    /** Appends the pending moves to the plan in decision order and seals the step record. */
    void drain(StepPlan plan) {
        for (int i = 0; i < numMoves; i++) {
            plan.addMove(KINDS[moveKind[i]], moveSrc[i], moveDst[i]);
        }
        numMoves = 0;
        inFlight.addLast(open);
        Step next = spare.pollFirst();
        if (next == null) {
            next = new Step();
        }
        next.reset();
        open = next;
    }

    /** The oldest drained step not yet completed, or null; hand it back with {@link #recycle}. */
    Step complete() {
        return inFlight.pollFirst();
    }

    void recycle(Step step) {
        step.reset();
        spare.addLast(step);
    }

    /** Invalidates stores recorded so far (the prefix cache was reset): they will not become findable. */
    void bumpEpoch() {
        epoch++;
    }

    int epoch() {
        return epoch;
    }

    /** Every step record not yet completed, the open one included; for invariant checks. */
    void forEachRecord(java.util.function.Consumer<Step> action) {
        inFlight.forEach(action);
        action.accept(open);
    }

    private static final BlockMoveKind[] KINDS = BlockMoveKind.values();
}
