package dev.baton.examples.replay;

/** Hears how far a long run is. Called on the replay's thread, often: implementations throttle themselves. */
public interface Progress {

    /**
     * @param fraction share of the work done, 0..1
     * @param label    what is running (policy, rate)
     */
    void update(double fraction, String label);

    /** The run ended. */
    default void done() {
    }

    Progress NONE = (fraction, label) -> { };
}
