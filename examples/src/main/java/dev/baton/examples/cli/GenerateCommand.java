package dev.baton.examples.cli;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.Completion;
import dev.baton.api.RequestTimings;
import dev.baton.api.SampleOutput;
import dev.baton.api.Submission;
import dev.baton.api.TokenEvent;
import dev.baton.api.admission.Admission;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.engine.ThreadedEngine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code baton generate}: one request through the whole engine (admission, the engine thread, the device, token
 * delivery) on a real clock, printing each sample's tokens with its time to first token and inter-token latencies as
 * the caller's subscriber saw them. On {@code cpu} the tokens are real arithmetic; on {@code sim} the device sleeps
 * the cost model's predicted step times ({@code sim.realtime=true}, unless set otherwise), so the timings are those
 * of the simulated hardware.
 */
final class GenerateCommand implements Command {

    private static final long TIMEOUT_SECONDS = 600;

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "run one request end to end and print its tokens with TTFT and inter-token latencies";
    }

    @Override
    public String description() {
        return "Submits one request (prompt token ids) to a threaded engine on the given device and prints every\n"
                + "sample's tokens, its time to first token (TTFT) and its inter-token latencies (ITL), measured on\n"
                + "the engine clock as the tokens reach the caller. On cpu the tokens come from the CPU reference\n"
                + "transformer (size it with --device-option cpu.layers=2,cpu.hidden=64,...); greedy output is the\n"
                + "same however the engine batches, chunks or preempts. On sim the device sleeps its predicted step\n"
                + "times (sim.realtime=true) unless told otherwise.";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("device", "SPEC", "cpu", "accelerator provider[:profile], e.g. cpu or sim:h100/llama-3.1-8b"),
                Option.value("prompt-tokens", "IDS", null, "the prompt as comma-separated token ids (required)"),
                Option.value("max-tokens", "N", "16", "most tokens to generate per sample"),
                Option.value("temperature", "T", "0", "sampling temperature; 0 is greedy"),
                Option.value("top-k", "K", "0", "keep the K most likely tokens; 0 disables"),
                Option.value("top-p", "P", "1", "nucleus sampling mass in (0, 1]; 1 disables"),
                Option.value("seed", "S", null, "random seed of a sampled request (reproducible tokens)"),
                Option.value("n", "K", "1", "parallel samples (forked copy-on-write after the prompt)"),
                Option.flag("ignore-eos", "keep generating past the end-of-sequence token"),
                Option.value("block-size", "N", Integer.toString(AcceleratorConfig.DEFAULT_BLOCK_SIZE),
                        "KV block size in tokens"),
                Option.value("device-option", "K=V,...", null,
                        "provider options, e.g. cpu.layers=2,cpu.hidden=64 or sim.realtime=false"),
                Option.value("json", "FILE", null, "also write the tokens and timings as JSON"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.requireNoPositional();
        String device = args.get("device", "cpu");
        int[] prompt = promptTokens(args.require("prompt-tokens"));
        SamplingParams.Builder sb = SamplingParams.builder()
                .maxTokens(args.getInt("max-tokens", 16))
                .temperature(args.getDouble("temperature", 0))
                .topK(args.getInt("top-k", 0))
                .topP(args.getDouble("top-p", 1))
                .ignoreEos(args.flag("ignore-eos"));
        if (args.has("seed")) {
            sb.seed(args.getLong("seed", 0));
        }
        SamplingParams sampling = sb.build();
        InferenceRequest request = InferenceRequest.withPrompt(prompt).sampling(sampling)
                .parallelSamples(args.getInt("n", 1)).build();

        // No host KV tier by default: one request is never swapped (recompute is the default preemption), and the
        // default 4 GiB tier of a tiny CPU model is millions of blocks of bookkeeping. cpu.host-blocks sets one.
        AcceleratorConfig.Builder ac = AcceleratorConfig.builder().hostKvBytes(0).blockSize(args.getInt("block-size",
                AcceleratorConfig.DEFAULT_BLOCK_SIZE));
        Map<String, String> options = deviceOptions(args.get("device-option", ""));
        if (device.startsWith("sim")) {
            options.putIfAbsent("sim.realtime", "true");
        }
        options.forEach(ac::option);
        EngineConfig config = EngineConfig.builder().build();
        ac.maxNumBatchedTokens(config.maxNumBatchedTokens());

        try (ThreadedEngine engine = Engines.builder().device(device).acceleratorConfig(ac.build()).config(config)
                .buildThreaded()) {
            String model = engine.core().device().model().name();
            Admission admission = engine.submit(request);
            if (admission instanceof Admission.Rejected rejected) {
                throw new UsageException("the engine refused the request (" + rejected.reason() + "): "
                        + rejected.rejection().message());
            }
            Submission submission = admission.orThrow();
            TokenCollector tokens = new TokenCollector();
            submission.tokens().subscribe(tokens);
            Completion completion = submission.completion().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!tokens.done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new TimeoutException("token stream did not complete within " + TIMEOUT_SECONDS + " s");
            }
            Report report = Report.of(device, model, request, completion, tokens.events);
            report.print(out);
            if (args.has("json")) {
                Json.write(Path.of(args.require("json")), report.json());
            }
            return 0;
        }
    }

    static int[] promptTokens(String list) {
        String[] parts = list.split(",");
        int[] tokens = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                tokens[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--prompt-tokens takes comma-separated token ids (e.g. 1,2,3); '"
                        + parts[i] + "' is not one");
            }
            if (tokens[i] < 0) {
                throw new UsageException("--prompt-tokens: token ids are not negative, got " + tokens[i]);
            }
        }
        return tokens;
    }

    static Map<String, String> deviceOptions(String list) {
        Map<String, String> options = new LinkedHashMap<>();
        if (list.isBlank()) {
            return options;
        }
        for (String kv : list.split(",")) {
            int eq = kv.indexOf('=');
            if (eq <= 0 || eq == kv.length() - 1) {
                throw new UsageException("--device-option takes KEY=VALUE pairs separated by commas (e.g."
                        + " cpu.layers=2,cpu.hidden=64); '" + kv + "' is not one");
            }
            options.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return options;
    }

    /** Receives the token stream on the delivery thread. */
    private static final class TokenCollector implements Flow.Subscriber<TokenEvent> {
        final ConcurrentLinkedQueue<TokenEvent> events = new ConcurrentLinkedQueue<>();
        final CountDownLatch done = new CountDownLatch(1);

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(TokenEvent item) {
            events.add(item);
        }

        @Override
        public void onError(Throwable throwable) {
            done.countDown();
        }

        @Override
        public void onComplete() {
            done.countDown();
        }
    }

    /** One sample's tokens and latencies. */
    record SampleReport(int index, int[] tokens, String finishReason, double ttftMs, double[] itlMs) {

        double meanItlMs() {
            return itlMs.length == 0 ? 0 : Arrays.stream(itlMs).average().orElse(0);
        }

        double maxItlMs() {
            return Arrays.stream(itlMs).max().orElse(0);
        }
    }

    /** What a run reports, as text and as JSON. */
    record Report(String device, String model, int promptTokens, SamplingParams sampling, int n,
                  RequestTimings timings, int preemptions, int cachedPromptTokens, List<SampleReport> samples) {

        static Report of(String device, String model, InferenceRequest request, Completion completion,
                         Iterable<TokenEvent> events) {
            RequestTimings t = completion.timings();
            List<SampleReport> samples = new ArrayList<>();
            for (SampleOutput s : completion.samples()) {
                List<Long> times = new ArrayList<>();
                for (TokenEvent e : events) {
                    if (e.sampleIndex() == s.index()) {
                        times.add(e.timeNanos());
                    }
                }
                double ttft = times.isEmpty() ? Double.NaN : ms(times.get(0) - t.arrivalNanos());
                double[] itl = new double[Math.max(0, times.size() - 1)];
                for (int i = 1; i < times.size(); i++) {
                    itl[i - 1] = ms(times.get(i) - times.get(i - 1));
                }
                samples.add(new SampleReport(s.index(), s.tokens(), s.finishReason().openAiName(), ttft, itl));
            }
            return new Report(device, model, request.promptLength(), request.sampling(), request.parallelSamples(),
                    t, completion.preemptions(), completion.cachedPromptTokens(), samples);
        }

        void print(PrintStream out) {
            out.printf(Locale.ROOT, "device %s, model %s, prompt %d tokens, %s%n", device, model, promptTokens,
                    describe(sampling));
            for (SampleReport s : samples) {
                out.printf(Locale.ROOT, "sample %d: %d tokens, finish %s%n", s.index(), s.tokens().length,
                        s.finishReason());
                out.println("  tokens " + Arrays.toString(s.tokens()));
                out.printf(Locale.ROOT, "  TTFT   %.3f ms%n", s.ttftMs());
                StringBuilder itl = new StringBuilder();
                for (double d : s.itlMs()) {
                    itl.append(String.format(Locale.ROOT, " %.3f", d));
                }
                out.printf(Locale.ROOT, "  ITL   %s ms (mean %.3f, max %.3f)%n",
                        itl.length() == 0 ? " -" : itl, s.meanItlMs(), s.maxItlMs());
            }
            out.printf(Locale.ROOT, "request: e2e %.3f ms, queue %.3f ms, preemptions %d, cached prompt tokens %d%n",
                    ms(timings.e2eNanos()), ms(timings.queueNanos()), preemptions, cachedPromptTokens);
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("device", device);
            m.put("model", model);
            m.put("promptTokens", promptTokens);
            m.put("maxTokens", sampling.maxTokens());
            m.put("temperature", sampling.temperature());
            m.put("topK", sampling.topK());
            m.put("topP", sampling.topP());
            if (sampling.hasSeed()) {
                m.put("seed", sampling.seed());
            }
            m.put("n", n);
            m.put("e2eMs", ms(timings.e2eNanos()));
            m.put("queueMs", ms(timings.queueNanos()));
            m.put("preemptions", preemptions);
            m.put("cachedPromptTokens", cachedPromptTokens);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (SampleReport s : samples) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("index", s.index());
                row.put("tokens", s.tokens());
                row.put("finishReason", s.finishReason());
                row.put("ttftMs", s.ttftMs());
                row.put("itlMs", s.itlMs());
                row.put("meanItlMs", s.meanItlMs());
                rows.add(row);
            }
            m.put("samples", rows);
            return m;
        }

        private static String describe(SamplingParams p) {
            if (p.isGreedy()) {
                return "greedy, max " + p.maxTokens() + " tokens";
            }
            return String.format(Locale.ROOT, "temperature %s, top-k %d, top-p %s%s, max %d tokens", p.temperature(),
                    p.topK(), p.topP(), p.hasSeed() ? ", seed " + p.seed() : "", p.maxTokens());
        }

        private static double ms(long nanos) {
            return nanos / 1e6;
        }
    }
}
