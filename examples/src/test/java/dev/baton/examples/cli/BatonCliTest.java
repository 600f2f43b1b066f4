package dev.baton.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.ProviderStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The launcher's contract: exit 0 on success, 2 with an explanation on a wrong command line, help everywhere. */
class BatonCliTest {

    @TempDir
    Path dir;

    /** The outcome of one command line. */
    record Run(int status, String out, String err) {
    }

    static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = new BatonCli().run(argv, o, e);
        }
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The listing's status line of one provider: name, status, detail. */
    private static String row(String out, String provider) {
        return out.lines().filter(l -> l.startsWith(provider + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + provider + " in:\n" + out));
    }

    // ---------------------------------------------------------------- baton devices

    @Test
    @DisplayName("baton devices lists sim as available and cuda as unavailable with its reason")
    void devices_lists_sim_available_and_cuda_unavailable_with_a_reason() {
        Run r = run("devices");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("PROVIDER");
        assertThat(row(r.out(), "sim")).contains("available", "always available").doesNotContain("unavailable");

        ProviderStatus cuda = Accelerators.discover().stream().filter(s -> s.name().equals("cuda")).findFirst()
                .orElseThrow(() -> new AssertionError("cuda provider not on the class path"));
        if (!cuda.availability().isAvailable()) { // every machine without a CUDA driver and GPU
            assertThat(cuda.availability().detail()).isNotBlank();
            assertThat(row(r.out(), "cuda")).contains("unavailable", cuda.availability().detail());
        } else {
            assertThat(row(r.out(), "cuda")).contains("available").doesNotContain("unavailable");
        }
    }

    @Test
    @DisplayName("baton devices --json FILE writes one JSON object per provider")
    void devices_json_writes_one_object_per_provider() throws Exception {
        Path file = dir.resolve("reports/nested/devices.json");
        Run r = run("devices", "--json", file.toString());
        assertThat(r.status()).as(r.err()).isZero();

        JsonNode json = Json.mapper().readTree(Files.readString(file));
        List<ProviderStatus> discovered = Accelerators.discover();
        assertThat(json.isArray()).isTrue();
        assertThat(json).hasSize(discovered.size());
        List<String> names = new ArrayList<>();
        for (JsonNode row : json) {
            assertThat(row.isObject()).isTrue();
            assertThat(row.path("provider").isTextual()).isTrue();
            assertThat(row.path("available").isBoolean()).isTrue();
            assertThat(row.path("detail").asText()).isNotBlank();
            assertThat(row.path("description").isTextual()).isTrue();
            names.add(row.get("provider").asText());
        }
        assertThat(names).containsExactlyElementsOf(discovered.stream().map(ProviderStatus::name).toList())
                .contains("sim", "cuda");
        JsonNode sim = json.get(names.indexOf("sim"));
        assertThat(sim.get("available").asBoolean()).isTrue();
        JsonNode cuda = json.get(names.indexOf("cuda"));
        ProviderStatus cudaStatus = discovered.get(names.indexOf("cuda"));
        assertThat(cuda.get("available").asBoolean()).isEqualTo(cudaStatus.availability().isAvailable());
        assertThat(cuda.get("detail").asText()).isEqualTo(cudaStatus.availability().detail());
    }

    @Test
    void devices_json_also_takes_the_equals_form() throws Exception {
        Path file = dir.resolve("devices.json");
        Run r = run("devices", "--json=" + file);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(Json.mapper().readTree(file.toFile()).isArray()).isTrue();
    }

    // ---------------------------------------------------------------- help

    @Test
    void help_for_every_command_exits_zero_and_lists_its_options() {
        BatonCli cli = new BatonCli();
        assertThat(cli.commands()).isNotEmpty();
        for (Command c : cli.commands()) {
            for (String help : new String[] {"--help", "-h"}) {
                Run r = run(c.name(), help);
                assertThat(r.status()).as(c.name() + " " + help).isZero();
                assertThat(r.out()).startsWith("usage: baton " + c.name()).contains(c.description(), "--help");
                for (Option o : c.options()) {
                    assertThat(r.out()).contains("--" + o.name(), o.description());
                    if (o.takesValue()) {
                        assertThat(r.out()).contains("--" + o.name() + " " + o.valueName());
                    }
                }
            }
            // Help wins over anything else on the line, even an option the command does not know.
            assertThat(run(c.name(), "--bogus", "--help").status()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "help"})
    void top_level_help_lists_every_command_and_exits_zero(String help) {
        Run r = run(help);
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("usage: baton <command>");
        for (Command c : new BatonCli().commands()) {
            assertThat(r.out()).contains(c.name(), c.summary());
        }
    }

    @Test
    void no_command_is_a_usage_error_that_prints_the_overview() {
        Run r = run();
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("usage: baton <command>").contains("devices");
    }

    // ---------------------------------------------------------------- usage errors

    @Test
    void an_unknown_command_exits_two_listing_the_commands() {
        Run r = run("frobnicate");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("unknown command 'frobnicate'", "commands: replay", "devices", "generate");
    }

    @Test
    void an_unknown_option_exits_two_listing_the_known_ones() {
        Run r = run("devices", "--bogus");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("unknown option --bogus for `baton devices`", "known: --json",
                "`baton devices --help`");
    }

    @Test
    void an_option_missing_its_value_exits_two_naming_the_value() {
        Run r = run("devices", "--json");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--json needs a value (FILE)");
    }

    @Test
    void an_empty_option_value_exits_two() {
        Run r = run("devices", "--json=");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--json needs a non-empty value (FILE)");
    }

    @Test
    void a_stray_argument_exits_two_instead_of_being_ignored() {
        Run r = run("devices", "cuda");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("`baton devices` takes no arguments", "cuda");
    }

    // ---------------------------------------------------------------- Args, for commands to come

    private static final List<Option> OPTIONS = List.of(
            Option.flag("verbose", "say more"),
            Option.value("steps", "N", "10", "how many steps"),
            Option.value("rate", "R", null, "requests per second"),
            Option.value("trace", "FILE", null, "the trace"));

    @Test
    void options_parse_in_both_forms_with_flags_and_defaults() {
        Args a = Args.parse("x", OPTIONS, new String[] {"--verbose", "--steps", "5", "--rate=2.5", "in.csv"});
        assertThat(a.flag("verbose")).isTrue();
        assertThat(a.getInt("steps", 10)).isEqualTo(5);
        assertThat(a.getDouble("rate", 0)).isEqualTo(2.5);
        assertThat(a.getLong("missing", 7)).isEqualTo(7);
        assertThat(a.get("trace", "none")).isEqualTo("none");
        assertThat(a.has("trace")).isFalse();
        assertThat(a.positional()).containsExactly("in.csv");
        assertThat(Args.parse("x", OPTIONS, new String[0]).flag("verbose")).isFalse();
    }

    @Test
    void a_flag_given_a_value_is_a_usage_error() {
        assertThatThrownBy(() -> Args.parse("x", OPTIONS, new String[] {"--verbose=yes"}))
                .isExactlyInstanceOf(UsageException.class).hasMessage("--verbose is a flag and takes no value");
    }

    @Test
    void a_value_that_is_not_a_number_is_a_usage_error_naming_the_option() {
        Args a = Args.parse("x", OPTIONS, new String[] {"--steps", "many", "--rate", "fast"});
        assertThatThrownBy(() -> a.getInt("steps", 1)).isExactlyInstanceOf(UsageException.class)
                .hasMessage("--steps must be an integer, got 'many'");
        assertThatThrownBy(() -> a.getLong("steps", 1)).isExactlyInstanceOf(UsageException.class)
                .hasMessageContaining("'many'");
        assertThatThrownBy(() -> a.getDouble("rate", 1)).isExactlyInstanceOf(UsageException.class)
                .hasMessage("--rate must be a number, got 'fast'");
    }

    @Test
    void a_required_option_that_is_missing_is_a_usage_error() {
        Args a = Args.parse("replay", OPTIONS, new String[0]);
        assertThatThrownBy(() -> a.require("trace")).isExactlyInstanceOf(UsageException.class)
                .hasMessage("`baton replay` needs --trace");
    }

    @Test
    void an_unknown_option_lists_every_known_one() {
        assertThatThrownBy(() -> Args.parse("x", OPTIONS, new String[] {"--step", "3"}))
                .isExactlyInstanceOf(UsageException.class)
                .hasMessage("unknown option --step for `baton x`; known: --verbose, --steps, --rate, --trace");
    }
}
