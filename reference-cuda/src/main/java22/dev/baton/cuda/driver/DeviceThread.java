package dev.baton.cuda.driver;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The one platform thread that makes every driver call for one device.
 *
 * <p>CUDA binds a context to the calling OS thread ({@code cuCtxSetCurrent}), so a device's calls all come from one
 * thread that made its primary context current once, when the device was opened; a virtual thread could move to
 * another carrier between two downcalls, and a shared pool would need a {@code cuCtxSetCurrent} before every task.
 * Callers hand work over with {@link #call} and wait for it; work that is already on this thread runs inline.
 *
 * <p>Thread-safe. Handing over costs a queue hop (tens of microseconds), so callers batch a step's driver calls into
 * one task.
 */
public final class DeviceThread implements AutoCloseable {

    private final ExecutorService executor;
    private volatile Thread thread;

    /** Starts the thread, named {@code name} (a daemon: an unclosed device does not keep the JVM alive). */
    public DeviceThread(String name) {
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    /** Runs {@code task} on the device thread and returns its result; its exceptions reach the caller unwrapped. */
    public <T> T call(Callable<T> task) {
        if (Thread.currentThread() == thread) {
            return callHere(task);
        }
        Future<T> f = executor.submit(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    // The driver call cannot be abandoned halfway; finish waiting, then restore the flag.
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            throw CudaDriver.rethrow(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs {@code task} on the device thread and waits for it. */
    public void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Whether the calling thread is this device thread. */
    public boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    /** Stops the thread after the tasks already handed over. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> T callHere(Callable<T> task) {
        try {
            return task.call();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
