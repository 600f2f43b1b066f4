package dev.baton.accelerator;

/**
 * A step failed on the device. The engine fails (or, by policy, requeues) exactly the requests of that step and keeps
 * running; the accelerator must stay usable for later steps unless {@link #isFatal()}.
 */
public class DeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean fatal;

    public DeviceException(String message, boolean fatal) {
        super(message);
        this.fatal = fatal;
    }

    public DeviceException(String message, Throwable cause, boolean fatal) {
        super(message, cause);
        this.fatal = fatal;
    }

    /** Whether the device cannot run any further step (the engine then ends every request). */
    public boolean isFatal() {
        return fatal;
    }
}
