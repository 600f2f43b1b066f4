package dev.baton.scheduler.queue;

import dev.baton.scheduler.core.Sequence;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;

/**
 * Strict priority: a binary min-heap on (priority, arrival sequence) -- a lower priority value is served first, and
 * among equals the earlier arrival. Prepending re-inserts by key, so a preempted sequence keeps its original place
 * (unlike vLLM's heap on wall-clock arrival floats, a monotonic sequence number is exact and deterministic).
 *
 * <p>Each sequence remembers its heap position ({@link Sequence#queueIndex()}), so removal is O(log n). All operations
 * are allocation-free once grown.
 */
public final class StrictPriorityQueue implements RequestQueue {
    /** The order this queue serves in. */
    public static final Comparator<Sequence> ORDER =
            Comparator.comparingInt(Sequence::priority).thenComparingLong(Sequence::arrivalSeq)
                    .thenComparingInt(Sequence::sampleIndex);

    private Sequence[] heap = new Sequence[64];
    private int size;

    @Override
    public void add(Sequence seq) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = seq;
        seq.setQueueIndex(size);
        size++;
        siftUp(size - 1);
    }

    @Override
    public void prepend(Sequence seq) {
        add(seq);
    }

    @Override
    public Sequence peek() {
        return size == 0 ? null : heap[0];
    }

    @Override
    public Sequence pop() {
        if (size == 0) {
            return null;
        }
        Sequence top = heap[0];
        removeAt(0);
        return top;
    }

    @Override
    public boolean remove(Sequence seq) {
        int i = seq.queueIndex();
        if (i < 0 || i >= size || heap[i] != seq) {
            return false;
        }
        removeAt(i);
        return true;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Iterator<Sequence> iterator() {
        Sequence[] snapshot = Arrays.copyOf(heap, size);
        Arrays.sort(snapshot, ORDER);
        return Arrays.asList(snapshot).iterator();
    }

    private void removeAt(int i) {
        Sequence removed = heap[i];
        removed.setQueueIndex(-1);
        size--;
        if (i == size) {
            heap[size] = null;
            return;
        }
        heap[i] = heap[size];
        heap[size] = null;
        heap[i].setQueueIndex(i);
        siftDown(i);
        siftUp(i);
    }

    private static boolean less(Sequence a, Sequence b) {
        if (a.priority() != b.priority()) {
            return a.priority() < b.priority();
        }
        if (a.arrivalSeq() != b.arrivalSeq()) {
            return a.arrivalSeq() < b.arrivalSeq();
        }
        return a.sampleIndex() < b.sampleIndex();
    }

    private void siftUp(int i) {
        Sequence x = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Sequence p = heap[parent];
            if (!less(x, p)) {
                break;
            }
            heap[i] = p;
            p.setQueueIndex(i);
            i = parent;
        }
        heap[i] = x;
        x.setQueueIndex(i);
    }

    private void siftDown(int i) {
        Sequence x = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && less(heap[right], heap[child])) {
                child = right;
            }
            if (!less(heap[child], x)) {
                break;
            }
            heap[i] = heap[child];
            heap[i].setQueueIndex(i);
            i = child;
        }
        heap[i] = x;
        x.setQueueIndex(i);
    }
}
