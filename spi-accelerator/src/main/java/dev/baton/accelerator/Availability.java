package dev.baton.accelerator;

import java.util.Objects;

/** Whether a provider can open a device on this machine, and if not, why. */
public sealed interface Availability permits Availability.Available, Availability.Unavailable {

    boolean isAvailable();

    /** A human-readable line for listings. */
    String detail();

    static Availability available(String detail) {
        return new Available(detail);
    }

    static Availability unavailable(String reason) {
        return new Unavailable(reason);
    }

    /** @param detail what was found (device name, driver version, ...) */
    record Available(String detail) implements Availability {
        public Available {
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public boolean isAvailable() {
            return true;
        }
    }

    /** @param reason why not, precise enough to act on ("no libcuda.so.1: install the NVIDIA driver") */
    record Unavailable(String reason) implements Availability {
        public Unavailable {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public boolean isAvailable() {
            return false;
        }

        @Override
        public String detail() {
            return reason;
        }
    }
}
