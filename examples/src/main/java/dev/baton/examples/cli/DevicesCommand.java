package dev.baton.examples.cli;

import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.ProviderStatus;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code baton devices}: every accelerator provider found, whether it is available here, and why not. */
final class DevicesCommand implements Command {

    @Override
    public String name() {
        return "devices";
    }

    @Override
    public String summary() {
        return "list accelerator providers, whether each is available here, and why not";
    }

    @Override
    public String description() {
        return "Discovers accelerator providers on the class path (java.util.ServiceLoader) and probes each one.\n"
                + "A provider that cannot load or probe is listed as unavailable with the reason; discovery never fails.";
    }

    @Override
    public List<Option> options() {
        return List.of(Option.value("json", "FILE", null, "also write the listing as JSON"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.requireNoPositional();
        List<ProviderStatus> all = Accelerators.discover();
        List<Map<String, Object>> json = new ArrayList<>();
        out.printf("%-8s %-11s %s%n", "PROVIDER", "STATUS", "DETAIL");
        for (ProviderStatus s : all) {
            boolean ok = s.availability().isAvailable();
            out.printf("%-8s %-11s %s%n", s.name(), ok ? "available" : "unavailable", s.availability().detail());
            out.printf("%-8s %-11s %s%n", "", "", s.description());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("provider", s.name());
            row.put("available", ok);
            row.put("detail", s.availability().detail());
            row.put("description", s.description());
            json.add(row);
        }
        if (args.has("json")) {
            Json.write(Path.of(args.require("json")), json);
        }
        return 0;
    }
}
