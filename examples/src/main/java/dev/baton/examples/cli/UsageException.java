package dev.baton.examples.cli;

/** The command line is wrong; the message says what to change. Exit status 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
