package dev.baton.examples.cli;

import java.io.PrintStream;
import java.util.List;

/** One {@code baton <command>}. */
public interface Command {

    String name();

    /** One line for the command list. */
    String summary();

    /** What the command does, for {@code --help}. */
    String description();

    List<Option> options();

    /**
     * Runs the command.
     *
     * @return the process exit status
     * @throws UsageException for a wrong command line
     */
    int run(Args args, PrintStream out, PrintStream err) throws Exception;
}
