package dev.baton.benchmarks.scheduler;

import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Ingress hand-off throughput: N producer threads offer requests, one consumer (the engine thread) polls. Baton's
 * ingress, a JCTools VarHandle MPSC array queue, against {@link ArrayBlockingQueue} (one lock) in the same run, for
 * 1, 2 and 4 producers. The score of each {@code offer} method is the producers' throughput; compare
 * {@code mpscN:offer} with {@code abqN:offer}. A side that finds the queue full (or empty) yields its core: on a machine
 * with fewer cores than threads, spinning would measure the scheduler's time slices rather than the queue.
 *
 * <p>Run: {@code java -jar benchmarks/target/baton-benchmarks.jar IngressBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IngressBenchmark {
    private static final int CAPACITY = 1 << 14;
    private static final Object ITEM = new Object();

    @State(Scope.Group)
    public static class Mpsc {
        final MpscVarHandleArrayQueue<Object> queue = new MpscVarHandleArrayQueue<>(CAPACITY);
    }

    @State(Scope.Group)
    public static class Abq {
        final ArrayBlockingQueue<Object> queue = new ArrayBlockingQueue<>(CAPACITY);
    }

    private static boolean offer(MpscVarHandleArrayQueue<Object> q, Control c) {
        while (!q.offer(ITEM)) {
            if (c.stopMeasurement) {
                return false;
            }
            Thread.yield();
        }
        return true;
    }

    private static boolean offer(ArrayBlockingQueue<Object> q, Control c) {
        while (!q.offer(ITEM)) {
            if (c.stopMeasurement) {
                return false;
            }
            Thread.yield();
        }
        return true;
    }

    private static Object poll(MpscVarHandleArrayQueue<Object> q, Control c) {
        Object o;
        while ((o = q.poll()) == null && !c.stopMeasurement) {
            Thread.yield();
        }
        return o;
    }

    private static Object poll(ArrayBlockingQueue<Object> q, Control c) {
        Object o;
        while ((o = q.poll()) == null && !c.stopMeasurement) {
            Thread.yield();
        }
        return o;
    }

    @Benchmark
    @Group("mpsc1")
    @GroupThreads(1)
    public boolean mpsc1Offer(Mpsc s, Control c) {
        return offer(s.queue, c);
    }

    @Benchmark
    @Group("mpsc1")
    @GroupThreads(1)
    public Object mpsc1Poll(Mpsc s, Control c) {
        return poll(s.queue, c);
    }

    @Benchmark
    @Group("mpsc2")
    @GroupThreads(2)
    public boolean mpsc2Offer(Mpsc s, Control c) {
        return offer(s.queue, c);
    }

    @Benchmark
    @Group("mpsc2")
    @GroupThreads(1)
    public Object mpsc2Poll(Mpsc s, Control c) {
        return poll(s.queue, c);
    }

    @Benchmark
    @Group("mpsc4")
    @GroupThreads(4)
    public boolean mpsc4Offer(Mpsc s, Control c) {
        return offer(s.queue, c);
    }

    @Benchmark
    @Group("mpsc4")
    @GroupThreads(1)
    public Object mpsc4Poll(Mpsc s, Control c) {
        return poll(s.queue, c);
    }

    @Benchmark
    @Group("abq1")
    @GroupThreads(1)
    public boolean abq1Offer(Abq s, Control c) {
        return offer(s.queue, c);
    }

    @Benchmark
    @Group("abq1")
    @GroupThreads(1)
    public Object abq1Poll(Abq s, Control c) {
        return poll(s.queue, c);
    }

    @Benchmark
    @Group("abq2")
    @GroupThreads(2)
    public boolean abq2Offer(Abq s, Control c) {
        return offer(s.queue, c);
    }

    @Benchmark
    @Group("abq2")
    @GroupThreads(1)
    public Object abq2Poll(Abq s, Control c) {
        return poll(s.queue, c);
    }

    @Benchmark
    @Group("abq4")
    @GroupThreads(4)
    public boolean abq4Offer(Abq s, Control c) {
        return offer(s.queue, c);
    }

    @Benchmark
    @Group("abq4")
    @GroupThreads(1)
    public Object abq4Poll(Abq s, Control c) {
        return poll(s.queue, c);
    }
}
