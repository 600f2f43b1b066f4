package dev.baton.examples.cli;

import dev.baton.examples.kv.KvReplayCommand;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code baton} launcher's entry point: {@code baton <command> [options]}. */
public final class BatonCli {

    private final Map<String, Command> commands = new LinkedHashMap<>();

    public BatonCli() {
        for (Command c : List.<Command>of(new ReplayCommand(), new SweepCommand(), new FidelityCommand(),
                new GenerateCommand(), new DevicesCommand(), new CalibrateCommand(), new KvReplayCommand(),
                new FitWorkloadCommand())) {
            commands.put(c.name(), c);
        }
    }

    public static void main(String[] argv) {
        int status = new BatonCli().run(argv, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /** Runs one command line and returns the exit status (0 ok, 1 failure, 2 usage error). */
    public int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            printOverview(argv.length == 0 ? err : out);
            return argv.length == 0 ? 2 : 0;
        }
        Command cmd = commands.get(argv[0]);
        if (cmd == null) {
            err.println("baton: unknown command '" + argv[0] + "'; commands: " + String.join(", ", commands.keySet()));
            return 2;
        }
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            printHelp(cmd, out);
            return 0;
        }
        try {
            Args args = Args.parse(cmd.name(), cmd.options(), rest);
            return cmd.run(args, out, err);
        } catch (UsageException e) {
            err.println("baton " + cmd.name() + ": " + e.getMessage());
            err.println("run `baton " + cmd.name() + " --help` for its options");
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("baton " + cmd.name() + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("baton " + cmd.name() + ": failed: " + e);
            return 1;
        }
    }

    /** The commands, in listing order. */
    public List<Command> commands() {
        return new ArrayList<>(commands.values());
    }

    private void printOverview(PrintStream out) {
        out.println("usage: baton <command> [options]      (baton <command> --help for its options)");
        out.println();
        for (Command c : commands.values()) {
            out.printf("  %-12s %s%n", c.name(), c.summary());
        }
    }

    static void printHelp(Command cmd, PrintStream out) {
        out.println("usage: baton " + cmd.name() + " [options]");
        out.println();
        out.println(cmd.description());
        out.println();
        out.println("options:");
        for (Option o : cmd.options()) {
            String left = "--" + o.name() + (o.takesValue() ? " " + o.valueName() : "");
            String right = o.description() + (o.defaultValue() == null ? "" : " (default " + o.defaultValue() + ")");
            out.printf("  %-28s %s%n", left, right);
        }
        out.printf("  %-28s %s%n", "--help", "show this help");
    }
}
