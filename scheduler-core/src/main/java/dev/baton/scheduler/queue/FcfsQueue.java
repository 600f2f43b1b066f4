package dev.baton.scheduler.queue;

import dev.baton.scheduler.core.Sequence;

import java.util.Arrays;
import java.util.Iterator;


/**
 * First come, first served: a ring-buffer deque. {@link #prepend} puts a preempted sequence back at the front, so
 * prepending several reverses their order (vLLM's FCFS deque). O(1) add/prepend/peek/pop, O(n) remove; allocation-free
 * once grown.
 */
public final class FcfsQueue implements RequestQueue {
    private Sequence[] ring = new Sequence[64];
    private int head;
    private int size;

    @Override
    public void add(Sequence seq) {
        grow();
        ring[(head + size) & (ring.length - 1)] = seq;
        size++;
    }

    @Override
    public void prepend(Sequence seq) {
        grow();
        head = (head - 1) & (ring.length - 1);
        ring[head] = seq;
        size++;
    }

    @Override
    public Sequence peek() {
        return size == 0 ? null : ring[head];
    }

    @Override
    public Sequence pop() {
        if (size == 0) {
            return null;
        }
        Sequence s = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        return s;
    }

    @Override
    public boolean remove(Sequence seq) {
        int mask = ring.length - 1;
        for (int i = 0; i < size; i++) {
            if (ring[(head + i) & mask] == seq) {
                for (int j = i; j < size - 1; j++) {
                    ring[(head + j) & mask] = ring[(head + j + 1) & mask];
                }
                ring[(head + size - 1) & mask] = null;
                size--;
                return true;
            }
        }
        return false;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Iterator<Sequence> iterator() {
        Sequence[] snapshot = new Sequence[size];
        for (int i = 0; i < size; i++) {
            snapshot[i] = ring[(head + i) & (ring.length - 1)];
        }
        return Arrays.asList(snapshot).iterator();
    }

    private void grow() {
        if (size < ring.length) {
            return;
        }
        Sequence[] bigger = new Sequence[ring.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(head + i) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
    }
}
