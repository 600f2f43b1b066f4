package dev.baton.examples.workload;

import java.util.ArrayList;
import java.util.List;

/** The public trace formats {@code baton replay --format} reads. */
public enum TraceFormat {
    /** Azure LLM inference traces: {@code TIMESTAMP,ContextTokens,GeneratedTokens}, wall-clock timestamps. */
    AZURE_CSV("azure-csv", "CSV with header TIMESTAMP,ContextTokens,GeneratedTokens (Azure LLM inference traces)"),
    /**
     * Prefix-hash JSONL (Mooncake's trace layout): {@code {"timestamp": ms, "input_length": n, "output_length": n,
     * "hash_ids": [...]}}, one hash id per block of {@code --block-size} tokens; equal leading ids share a prefix.
     */
    PREFIX_HASH_JSONL("prefix-hash-jsonl", "JSONL {timestamp (ms), input_length, output_length, hash_ids: one id per"
            + " --block-size tokens; equal leading ids mean a shared prefix}"),
    /**
     * One JSON object per request: {@code request_id}, {@code input_toks}, {@code output_toks}, {@code arrival_time}
     * (seconds) and, for a measured run, {@code queued_ts}, {@code scheduled_ts}, {@code first_token_ts},
     * {@code last_token_ts} (seconds, one monotonic clock).
     */
    VLLM_BENCH_JSONL("vllm-bench-jsonl", "JSONL {request_id, input_toks, output_toks, arrival_time (s), optional"
            + " queued_ts, scheduled_ts, first_token_ts, last_token_ts (s)}");

    private final String id;
    private final String description;

    TraceFormat(String id, String description) {
        this.id = id;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /**
     * The format called {@code name}.
     *
     * @throws IllegalArgumentException listing the known formats
     */
    public static TraceFormat named(String name) {
        for (TraceFormat f : values()) {
            if (f.id.equalsIgnoreCase(name.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown trace format '" + name + "'; known: " + String.join(", ", ids()));
    }

    public static List<String> ids() {
        List<String> ids = new ArrayList<>();
        for (TraceFormat f : values()) {
            ids.add(f.id);
        }
        return ids;
    }
}
