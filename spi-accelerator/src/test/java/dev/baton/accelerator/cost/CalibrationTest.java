package dev.baton.accelerator.cost;

import dev.baton.accelerator.sim.HardwareProfiles;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The calibration table: the shipped one loads and names its sources; malformed tables are refused by line. */
class CalibrationTest {

    private static Calibration parse(String text) throws IOException {
        return Calibration.parse(new BufferedReader(new StringReader(text)), "test.tsv");
    }

    @Test
    void the_built_in_table_loads_names_its_sources_and_round_trips() throws IOException {
        Calibration c = Calibration.builtIn();
        assertThat(String.join("\n", c.header())).contains("casys-kaist/LLMServingSim (MIT)")
                .contains("microsoft/vidur (MIT)").contains("never the measurements");
        assertThat(c.measuredProfiles()).anyMatch(k -> k.startsWith("NVIDIA H100 SXM5 80GB\tmeta-llama/Llama-3.1-8B"));
        assertThat(c.attention(HardwareProfiles.get("rtxpro6000").name())).isPresent();
        assertThat(parse(c.format())).isEqualTo(c);
    }

    @Test
    void the_built_in_table_covers_the_gated_configurations() {
        Calibration c = Calibration.builtIn();
        String h100 = HardwareProfiles.get("h100").name();
        String pro = HardwareProfiles.get("rtxpro6000").name();
        String ada = HardwareProfiles.get("rtx4090").name();
        assertThat(c.operators(pro, "meta-llama/Llama-3.1-8B", 1)).isPresent();
        assertThat(c.operators(pro, "meta-llama/Llama-3.1-8B", 2)).isPresent();
        assertThat(c.operators(ada, "meta-llama/Llama-3.1-8B", 1)).isPresent();
        assertThat(c.operators(h100, "meta-llama/Llama-3.1-8B", 1)).isPresent();
        assertThat(c.operators(h100, "meta-llama/Llama-3.1-70B", 4)).isPresent();
        assertThat(c.attention(h100)).isPresent();
        assertThat(c.allReduce(h100, 4)).isPresent();
    }

    @Test
    void a_malformed_record_is_refused_with_its_line() {
        String bad = """
                # header
                device\tX\t1e12\t1e14\t1e11
                operator\tX\tm\t1\tqkv_proj\t1\t2\t3
                """;
        assertThatThrownBy(() -> parse(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("test.tsv line 3").hasMessageContaining("10 tab-separated fields, got 8");
    }

    @Test
    void unknown_records_operators_and_numbers_are_refused_with_what_is_expected() {
        assertThatThrownBy(() -> parse("bogus\t1\n")).hasMessageContaining("unknown record 'bogus'");
        assertThatThrownBy(() -> parse("operator\tX\tm\t1\tfoo\t1\t1\t1\t1\t1\n"))
                .hasMessageContaining("unknown operator 'foo'").hasMessageContaining("qkv_proj");
        assertThatThrownBy(() -> parse("allreduce\tX\t2\tfast\t1\n")).hasMessageContaining("not a number: 'fast'");
        assertThatThrownBy(() -> parse("operator\tX\tm\t1\tqkv_proj\t-1\t1\t1\t1\t1\n"))
                .hasMessageContaining("launchNanos must be a finite non-negative number");
    }

    @Test
    void a_table_without_fallbacks_or_datasheet_lines_is_refused() throws IOException {
        String complete = Calibration.builtIn().format();
        String noFallback = complete.lines().filter(l -> !l.startsWith("fallback-operator\tGEMM"))
                .reduce("", (a, b) -> a + b + "\n");
        assertThatThrownBy(() -> parse(noFallback)).hasMessageContaining("no fallback-operator line for GEMM");
        String noDevice = complete.lines().filter(l -> !l.startsWith("device\tNVIDIA H100"))
                .reduce("", (a, b) -> a + b + "\n");
        assertThatThrownBy(() -> parse(noDevice)).hasMessageContaining("no device line");
    }

    @Test
    void curves_refuse_impossible_coefficients() {
        assertThatThrownBy(() -> new OperatorCurve(1, Double.NaN, 0, 0, 0))
                .hasMessageContaining("nsPerByte must be a finite non-negative number");
        assertThatThrownBy(() -> new OperatorRoofline(1, 1.5, 0.5)).hasMessageContaining("bandwidthEfficiency");
        double[] v = Calibration.builtIn().attention(HardwareProfiles.get("h100").name()).orElseThrow().values();
        v[11] = 1.5;
        assertThatThrownBy(() -> AttentionCurve.of(AttentionCurve.DecodeKernel.VARLEN, v))
                .hasMessageContaining("theta must be in [0, 1]");
        assertThatThrownBy(() -> AttentionCurve.of(AttentionCurve.DecodeKernel.VARLEN, new double[3]))
                .hasMessageContaining("16 coefficients");
    }

    @Test
    void curves_rise_with_their_inputs() {
        OperatorCurve c = new OperatorCurve(1000, 0.001, 1e6, 0.002, 1e-5);
        assertThat(c.nanos(2e6, 0)).isGreaterThan(c.nanos(1e6, 0));
        assertThat(c.nanos(0, 2e9)).isGreaterThan(c.nanos(0, 1e9));
        // The cache knee: bytes beyond it pay more.
        assertThat(c.nanos(3e6, 0) - c.nanos(2e6, 0)).isGreaterThan(c.nanos(1e6, 0) - c.nanos(0, 0));
        assertThat(new AllReduceCurve(5000, 0.002).nanos(1e6, 1)).isZero();
        assertThat(new AllReduceCurve(5000, 0.002).nanos(1e6, 8)).isGreaterThan(
                new AllReduceCurve(5000, 0.002).nanos(1e6, 2));
    }
}
