package dev.baton.cuda.driver;

import dev.baton.accelerator.DeviceException;

/**
 * A CUDA driver call returned an error. Carries the call's symbol, the {@code CUresult} code and its name; it is
 * {@linkplain #isFatal() fatal} when the error is one of the "sticky" ones after which the context cannot run
 * anything (an illegal address in a kernel, say), so the device must be closed and reopened.
 */
public final class CudaException extends DeviceException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int code;

    public CudaException(String call, int code) {
        this(call, code, "");
    }

    /** @param context what the call was doing, for the message (may be empty) */
    public CudaException(String call, int code, String context) {
        super(call + " failed: " + CuResult.name(code) + " (" + code + ")" + (context.isEmpty() ? "" : ": " + context),
                CuResult.isSticky(code));
        this.call = call;
        this.code = code;
    }

    /** The driver symbol that failed, e.g. {@code cuMemAlloc_v2}. */
    public String call() {
        return call;
    }

    /** The {@code CUresult} code. */
    public int code() {
        return code;
    }

    /** The name of {@link #code()}, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() {
        return CuResult.name(code);
    }
}
