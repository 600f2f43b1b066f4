package dev.baton.examples.kv;

import dev.baton.examples.cli.Args;
import dev.baton.examples.cli.Command;
import dev.baton.examples.cli.Json;
import dev.baton.examples.cli.Option;
import dev.baton.examples.cli.UsageException;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code baton kv-replay}: replays a prefix-hash trace through the prefix cache under each eviction policy and
 * reports the hit rate next to the unbounded-cache and offline-optimal (Belady) hit rates at the same capacity.
 */
public final class KvReplayCommand implements Command {

    @Override
    public String name() {
        return "kv-replay";
    }

    @Override
    public String summary() {
        return "replay a prefix-hash trace through the KV prefix cache; compare eviction policies with Belady";
    }

    @Override
    public String description() {
        return """
                Replays a JSONL prefix-hash trace ({"timestamp": ms, "input_length": n, "output_length": n, \
                "hash_ids": [...]}, one id per block of --block-size tokens, equal leading ids = shareable prefix) \
                through Baton's prefix cache (BlockPool + eviction policy) in arrival order: each request looks up its \
                prefix, then inserts its blocks. Reports per policy:
                  hit_rate           fraction of prompt blocks served from the cache
                  infinite_hit_rate  the same with an unbounded cache
                  optimal_hit_rate   offline Belady (furthest next use, deepest first) at the same capacity
                With --generate multi-turn it first generates a multi-turn chat workload (shared system prompts, \
                returning users at short and long intervals, one-off long documents) and writes it to --trace \
                if given.""";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("trace", "FILE", null, "the JSONL trace to replay (with --generate: where to write it)"),
                Option.value("block-size", "N", "16", "tokens per block of the trace"),
                Option.value("capacity-blocks", "C", null, "prefix-cache capacity in blocks (required)"),
                Option.value("policy", "P", "all", "lru, frequency, priority, or all"),
                Option.value("json", "FILE", null, "also write one object per policy as JSON"),
                Option.flag("skip-malformed", "skip malformed trace lines (and count them) instead of failing"),
                Option.value("generate", "KIND", null, "generate a workload instead of reading one: multi-turn"),
                Option.value("seed", "N", "1", "random seed of the generated workload"),
                Option.value("duration-seconds", "S", "3600", "arrival window of the generated workload"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        int blockSize = positive(args, "block-size", 16);
        int capacity = positive(args, "capacity-blocks", -1);
        List<String> policies = policies(args.get("policy", "all"));

        PrefixTrace trace;
        String source;
        if (args.has("generate")) {
            String kind = args.require("generate");
            if (!kind.equals("multi-turn")) {
                throw new UsageException("--generate knows only multi-turn, got '" + kind + "'");
            }
            MultiTurnWorkload w = MultiTurnWorkload.standard(args.getLong("seed", 1), blockSize)
                    .withDuration(positive(args, "duration-seconds", 3600));
            trace = new PrefixTrace(w.generate(), 0);
            source = "generated multi-turn workload (seed " + w.seed() + ", " + w.durationSeconds() + " s)";
            if (args.has("trace")) {
                PrefixTrace.write(trace.requests(), Path.of(args.require("trace")));
                source += ", written to " + args.require("trace");
            }
        } else {
            Path file = Path.of(args.require("trace"));
            if (!Files.isReadable(file)) {
                throw new UsageException("cannot read --trace " + file);
            }
            trace = PrefixTrace.read(file, args.flag("skip-malformed"));
            source = file.toString();
        }
        List<TraceRequest> requests = trace.requests();
        long blocks = 0;
        int mismatched = 0;
        for (TraceRequest r : requests) {
            blocks += r.numBlocks();
            if (r.numBlocks() != (r.inputLength() + blockSize - 1) / blockSize) {
                mismatched++;
            }
        }
        out.printf("trace: %s: %d requests, %d prompt blocks; capacity %d blocks of %d tokens%n", source,
                requests.size(), blocks, capacity, blockSize);
        if (trace.skipped() > 0) {
            out.printf("skipped %d malformed lines%n", trace.skipped());
        }
        if (mismatched > 0) {
            out.printf("note: %d requests have a hash_ids count other than ceil(input_length / %d); is --block-size "
                    + "the trace's block size?%n", mismatched, blockSize);
        }

        double infinite = CacheReplay.infinite(requests).hitRate();
        double optimal = CacheReplay.belady(requests, capacity).hitRate();
        List<Map<String, Object>> json = new ArrayList<>();
        out.printf("%-10s %9s %18s %17s%n", "policy", "hit_rate", "infinite_hit_rate", "optimal_hit_rate");
        for (String p : policies) {
            double hit = CacheReplay.replay(requests, capacity, CacheReplay.POLICIES.get(p).get()).hitRate();
            out.printf("%-10s %9.4f %18.4f %17.4f%n", p, hit, infinite, optimal);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("policy", p);
            row.put("hit_rate", hit);
            row.put("infinite_hit_rate", infinite);
            row.put("optimal_hit_rate", optimal);
            row.put("capacity_blocks", capacity);
            row.put("block_size", blockSize);
            row.put("requests", requests.size());
            row.put("prompt_blocks", blocks);
            json.add(row);
        }
        if (args.has("json")) {
            Json.write(Path.of(args.require("json")), json);
        }
        return 0;
    }

    private static List<String> policies(String p) {
        if (p.equals("all")) {
            return List.of("lru", "frequency", "priority");
        }
        if (!CacheReplay.POLICIES.containsKey(p)) {
            throw new UsageException("--policy must be one of " + new TreeSet<>(CacheReplay.POLICIES.keySet())
                    + " or all, got '" + p + "'");
        }
        return List.of(p);
    }

    private static int positive(Args args, String name, int fallback) {
        int v = args.getInt(name, fallback);
        if (v == -1 && fallback == -1) {
            throw new UsageException("`baton kv-replay` needs --" + name);
        }
        if (v < 1) {
            throw new UsageException("--" + name + " must be a positive integer, got " + v);
        }
        return v;
    }
}
