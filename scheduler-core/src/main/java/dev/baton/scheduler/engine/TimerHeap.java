package dev.baton.scheduler.engine;

import dev.baton.scheduler.core.Request;

import java.util.Arrays;

/**
 * A binary min-heap of request timers (end-to-end deadlines and queue timeouts) keyed by absolute engine time.
 * Entries are never removed early: a timer that fires for a request that already ended is ignored. Engine thread
 * only; allocation-free once grown.
 */
final class TimerHeap {
    static final byte DEADLINE = 0;
    static final byte QUEUE_TIMEOUT = 1;

    private long[] due = new long[64];
    private Request[] requests = new Request[64];
    private byte[] kinds = new byte[64];
    private int size;

    void add(long dueNanos, Request request, byte kind) {
        if (size == due.length) {
            int n = size * 2;
            due = Arrays.copyOf(due, n);
            requests = Arrays.copyOf(requests, n);
            kinds = Arrays.copyOf(kinds, n);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (due[parent] <= dueNanos) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        due[i] = dueNanos;
        requests[i] = request;
        kinds[i] = kind;
    }

    boolean isEmpty() {
        return size == 0;
    }

    long peekDue() {
        return due[0];
    }

    Request peekRequest() {
        return requests[0];
    }

    byte peekKind() {
        return kinds[0];
    }

    void pop() {
        size--;
        long d = due[size];
        Request r = requests[size];
        byte k = kinds[size];
        requests[size] = null;
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && due[child + 1] < due[child]) {
                child++;
            }
            if (due[child] >= d) {
                break;
            }
            move(child, i);
            i = child;
        }
        if (size > 0) {
            due[i] = d;
            requests[i] = r;
            kinds[i] = k;
        }
    }

    int size() {
        return size;
    }

    private void move(int from, int to) {
        due[to] = due[from];
        requests[to] = requests[from];
        kinds[to] = kinds[from];
    }
}
