package dev.baton.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.accelerator.cpu.ContiguousReference;
import dev.baton.accelerator.cpu.CpuModel;
import dev.baton.accelerator.cpu.CpuModelConfig;
import dev.baton.examples.cli.BatonCliTest.Run;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.baton.examples.cli.BatonCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code baton generate}: one request through the threaded engine, its tokens and latencies. */
class GenerateCommandTest {

    /** A small CPU model, so each run takes milliseconds. */
    private static final String SMALL = "cpu.layers=2,cpu.hidden=64,cpu.heads=4,cpu.kv-heads=2,cpu.intermediate=128,"
            + "cpu.vocab=128,cpu.max-model-len=256";
    private static final int[] PROMPT = {5, 17, 3, 99, 42, 7, 64, 1, 120, 33};
    private static final String PROMPT_ARG = "5,17,3,99,42,7,64,1,120,33";

    @TempDir
    Path dir;

    private JsonNode generate(String... extra) throws Exception {
        Path json = dir.resolve("generate-" + System.nanoTime() + ".json");
        List<String> argv = new ArrayList<>(List.of("generate", "--device-option", SMALL, "--prompt-tokens",
                PROMPT_ARG, "--json", json.toString()));
        argv.addAll(List.of(extra));
        Run r = run(argv.toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        return Json.mapper().readTree(json.toFile());
    }

    private static int[] tokens(JsonNode sample) {
        JsonNode t = sample.get("tokens");
        int[] out = new int[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.get(i).asInt();
        }
        return out;
    }

    @Test
    @DisplayName("baton generate --device cpu prints the solo contiguous-reference tokens with TTFT and ITL")
    void cpu_greedy_prints_the_reference_tokens_with_latencies() throws Exception {
        Path json = dir.resolve("out.json");
        Run r = run("generate", "--device", "cpu", "--device-option", SMALL, "--prompt-tokens", PROMPT_ARG,
                "--max-tokens", "12", "--ignore-eos", "--json", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();

        CpuModel model = new CpuModel(CpuModelConfig.fromOptions(GenerateCommand.deviceOptions(SMALL)), 0);
        int[] expected = new ContiguousReference(model).greedy(PROMPT, 12);
        assertThat(r.out()).contains("device cpu, model baton/cpu-llama-2x64, prompt 10 tokens, greedy, max 12 tokens",
                "sample 0: 12 tokens, finish length", "  tokens " + java.util.Arrays.toString(expected), "TTFT",
                "ITL");

        JsonNode report = Json.mapper().readTree(json.toFile());
        assertThat(report.get("device").asText()).isEqualTo("cpu");
        assertThat(report.get("promptTokens").asInt()).isEqualTo(10);
        JsonNode sample = report.get("samples").get(0);
        assertThat(tokens(sample)).containsExactly(expected);
        assertThat(sample.get("finishReason").asText()).isEqualTo("length");
        assertThat(sample.get("ttftMs").asDouble()).isPositive();
        assertThat(sample.get("itlMs")).hasSize(11);
        for (JsonNode itl : sample.get("itlMs")) {
            assertThat(itl.asDouble()).isNotNegative();
        }
    }

    @Test
    @DisplayName("greedy parallel samples (n = 3, forked copy-on-write) and any block size give the same tokens")
    void greedy_samples_and_block_sizes_agree() throws Exception {
        JsonNode forked = generate("--max-tokens", "9", "--ignore-eos", "--n", "3", "--block-size", "4");
        JsonNode single = generate("--max-tokens", "9", "--ignore-eos", "--block-size", "1");
        int[] reference = tokens(single.get("samples").get(0));
        assertThat(reference).hasSize(9);
        assertThat(forked.get("samples")).hasSize(3);
        for (JsonNode s : forked.get("samples")) {
            assertThat(tokens(s)).containsExactly(reference);
        }
    }

    @Test
    @DisplayName("a seeded sampled request prints the same tokens run after run")
    void seeded_sampling_is_reproducible() throws Exception {
        JsonNode a = generate("--max-tokens", "10", "--ignore-eos", "--temperature", "1.2", "--top-k", "40",
                "--seed", "1234");
        JsonNode b = generate("--max-tokens", "10", "--ignore-eos", "--temperature", "1.2", "--top-k", "40",
                "--seed", "1234", "--block-size", "8");
        assertThat(a.get("seed").asLong()).isEqualTo(1234);
        assertThat(tokens(b.get("samples").get(0))).containsExactly(tokens(a.get("samples").get(0)));
    }

    @Test
    @DisplayName("baton generate --device sim:... runs on the simulated device")
    void sim_device_works() throws Exception {
        Run r = run("generate", "--device", "sim:h100/llama-3.1-8b", "--prompt-tokens", "1,2,3,4", "--max-tokens",
                "4");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("device sim:h100/llama-3.1-8b", "sample 0: 4 tokens, finish length", "TTFT");
    }

    @Test
    void missing_prompt_is_a_usage_error() {
        Run r = run("generate", "--max-tokens", "4");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("`baton generate` needs --prompt-tokens");
    }

    @Test
    void a_prompt_that_is_not_token_ids_is_a_usage_error() {
        Run r = run("generate", "--prompt-tokens", "1,two,3");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--prompt-tokens takes comma-separated token ids", "'two'");
    }

    @Test
    void a_token_outside_the_vocabulary_is_refused_with_the_reason() {
        Run r = run("generate", "--device-option", SMALL, "--prompt-tokens", "1,500");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("refused", "prompt token 500", "vocabulary");
    }

    @Test
    void bad_sampling_parameters_are_usage_errors() {
        Run r = run("generate", "--device-option", SMALL, "--prompt-tokens", "1,2", "--top-p", "0");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("topP");
    }

    @Test
    void a_malformed_device_option_is_a_usage_error() {
        Run r = run("generate", "--device-option", "cpu.layers", "--prompt-tokens", "1,2");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--device-option takes KEY=VALUE pairs");
    }

    @Test
    void device_options_parse_into_a_map() {
        assertThat(GenerateCommand.deviceOptions("a=1, b = 2")).isEqualTo(Map.of("a", "1", "b", "2"));
        assertThat(GenerateCommand.deviceOptions("")).isEmpty();
    }
}
