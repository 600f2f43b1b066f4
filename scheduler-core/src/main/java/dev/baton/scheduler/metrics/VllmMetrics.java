package dev.baton.scheduler.metrics;

/**
 * Metric names the engine reports through {@link MetricsSink}: vLLM's names and interval definitions
 * ({@code docs/design/metrics.md}), so a Baton server is a drop-in for dashboards and routers built for vLLM.
 *
 * <table>
 *   <caption>Mapping</caption>
 *   <tr><th>name</th><th>kind</th><th>meaning (vLLM definition)</th></tr>
 *   <tr><td>{@value #NUM_REQUESTS_RUNNING}</td><td>gauge</td><td>requests in the running batch</td></tr>
 *   <tr><td>{@value #NUM_REQUESTS_WAITING}</td><td>gauge</td><td>requests waiting, including preempted ones</td></tr>
 *   <tr><td>{@value #KV_CACHE_USAGE_PERC}</td><td>gauge</td><td>fraction (0..1, despite the name) of KV blocks in use</td></tr>
 *   <tr><td>{@value #PROMPT_TOKENS}</td><td>counter</td><td>prompt tokens of requests that started</td></tr>
 *   <tr><td>{@value #GENERATION_TOKENS}</td><td>counter</td><td>generated tokens</td></tr>
 *   <tr><td>{@value #NUM_PREEMPTIONS}</td><td>counter</td><td>preemptions</td></tr>
 *   <tr><td>{@value #REQUEST_SUCCESS}</td><td>counter, label {@code finished_reason}</td><td>finished requests</td></tr>
 *   <tr><td>{@value #PREFIX_CACHE_QUERIES}</td><td>counter</td><td>prompt tokens looked up in the prefix cache</td></tr>
 *   <tr><td>{@value #PREFIX_CACHE_HITS}</td><td>counter</td><td>of those, tokens served from the cache</td></tr>
 *   <tr><td>{@value #TIME_TO_FIRST_TOKEN}</td><td>histogram, s</td><td>arrival to first token</td></tr>
 *   <tr><td>{@value #INTER_TOKEN_LATENCY}</td><td>histogram, s</td><td>between successive token outputs of a request</td></tr>
 *   <tr><td>{@value #E2E_REQUEST_LATENCY}</td><td>histogram, s</td><td>arrival to last token</td></tr>
 *   <tr><td>{@value #REQUEST_QUEUE_TIME}</td><td>histogram, s</td><td>arrival (queued) to first scheduled</td></tr>
 *   <tr><td>{@value #REQUEST_PREFILL_TIME}</td><td>histogram, s</td><td>first scheduled to first token</td></tr>
 *   <tr><td>{@value #REQUEST_DECODE_TIME}</td><td>histogram, s</td><td>first token to last token</td></tr>
 *   <tr><td>{@value #REQUEST_INFERENCE_TIME}</td><td>histogram, s</td><td>first scheduled to last token</td></tr>
 *   <tr><td>{@value #REQUEST_TIME_PER_OUTPUT_TOKEN}</td><td>histogram, s</td><td>(e2e - ttft) / (output tokens - 1)</td></tr>
 *   <tr><td>{@value #REQUEST_PROMPT_TOKENS}</td><td>histogram</td><td>prompt length of finished requests</td></tr>
 *   <tr><td>{@value #REQUEST_GENERATION_TOKENS}</td><td>histogram</td><td>output length of finished requests</td></tr>
 *   <tr><td>{@value #ITERATION_TOKENS}</td><td>histogram</td><td>tokens scheduled per step</td></tr>
 *   <tr><td>{@value #SPEC_DECODE_NUM_DRAFTS}</td><td>counter</td><td>verifications of a sequence's drafts (one per
 *   sequence per step with drafts)</td></tr>
 *   <tr><td>{@value #SPEC_DECODE_NUM_DRAFT_TOKENS}</td><td>counter</td><td>draft tokens verified</td></tr>
 *   <tr><td>{@value #SPEC_DECODE_NUM_ACCEPTED_TOKENS}</td><td>counter</td><td>draft tokens accepted</td></tr>
 *   <tr><td>{@value #SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS}</td><td>counter, label {@code position}</td><td>draft
 *   tokens accepted at each draft position (0-based)</td></tr>
 *   <tr><td>{@value #REJECTIONS}</td><td>counter, label {@code reason}</td><td>Baton: refusals at admission by reason</td></tr>
 *   <tr><td>{@value #SCHEDULER_STEP_SECONDS}</td><td>histogram, s</td><td>Baton: CPU time of planning and applying one step</td></tr>
 * </table>
 */
public final class VllmMetrics {
    public static final String NUM_REQUESTS_RUNNING = "vllm:num_requests_running";
    public static final String NUM_REQUESTS_WAITING = "vllm:num_requests_waiting";
    public static final String KV_CACHE_USAGE_PERC = "vllm:kv_cache_usage_perc";
    public static final String PROMPT_TOKENS = "vllm:prompt_tokens";
    public static final String GENERATION_TOKENS = "vllm:generation_tokens";
    public static final String NUM_PREEMPTIONS = "vllm:num_preemptions";
    public static final String REQUEST_SUCCESS = "vllm:request_success";
    public static final String PREFIX_CACHE_QUERIES = "vllm:prefix_cache_queries";
    public static final String PREFIX_CACHE_HITS = "vllm:prefix_cache_hits";
    public static final String TIME_TO_FIRST_TOKEN = "vllm:time_to_first_token_seconds";
    public static final String INTER_TOKEN_LATENCY = "vllm:inter_token_latency_seconds";
    public static final String E2E_REQUEST_LATENCY = "vllm:e2e_request_latency_seconds";
    public static final String REQUEST_QUEUE_TIME = "vllm:request_queue_time_seconds";
    public static final String REQUEST_PREFILL_TIME = "vllm:request_prefill_time_seconds";
    public static final String REQUEST_DECODE_TIME = "vllm:request_decode_time_seconds";
    public static final String REQUEST_INFERENCE_TIME = "vllm:request_inference_time_seconds";
    public static final String REQUEST_TIME_PER_OUTPUT_TOKEN = "vllm:request_time_per_output_token_seconds";
    public static final String REQUEST_PROMPT_TOKENS = "vllm:request_prompt_tokens";
    public static final String REQUEST_GENERATION_TOKENS = "vllm:request_generation_tokens";
    public static final String ITERATION_TOKENS = "vllm:iteration_tokens_total";
    public static final String SPEC_DECODE_NUM_DRAFTS = "vllm:spec_decode_num_drafts";
    public static final String SPEC_DECODE_NUM_DRAFT_TOKENS = "vllm:spec_decode_num_draft_tokens";
    public static final String SPEC_DECODE_NUM_ACCEPTED_TOKENS = "vllm:spec_decode_num_accepted_tokens";
    public static final String SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS = "vllm:spec_decode_num_accepted_tokens_per_pos";
    public static final String REJECTIONS = "baton:rejections";
    public static final String SCHEDULER_STEP_SECONDS = "baton:scheduler_step_seconds";

    /** vLLM's TTFT histogram bounds (seconds). */
    public static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
        1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    /** vLLM's inter-token-latency histogram bounds (seconds). */
    public static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0,
        2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
    /** vLLM's request-latency histogram bounds (seconds), shared by e2e, queue, prefill, decode and inference time. */
    public static final double[] REQUEST_LATENCY_BUCKETS = {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0,
        30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

    private VllmMetrics() {
    }
}
