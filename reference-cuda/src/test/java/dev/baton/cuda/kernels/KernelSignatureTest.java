package dev.baton.cuda.kernels;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@link Kernel} declaration matches its {@code extern "C" __global__} signature in {@code baton_kernels.cu}
 * (name, number and C types of parameters), every kernel of the source is declared, and every kernel is in the
 * committed fatbin. A mismatch would make {@code cuLaunchKernel} read arguments of the wrong size on a GPU.
 */
class KernelSignatureTest {

    private static final Pattern ENTRY = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(([^)]*)\\)");

    /** The {@code extern "C"} entries of the source: name to parameter kinds. */
    static Map<String, List<Kernel.Param>> entries(String source) {
        Map<String, List<Kernel.Param>> m = new LinkedHashMap<>();
        Matcher e = ENTRY.matcher(source);
        while (e.find()) {
            List<Kernel.Param> params = new ArrayList<>();
            for (String p : e.group(2).split(",")) {
                params.add(kind(p.trim().replaceAll("\\s+", " ")));
            }
            m.put(e.group(1), params);
        }
        return m;
    }

    static Kernel.Param kind(String declaration) {
        if (declaration.contains("*")) {
            return Kernel.Param.PTR;
        }
        String type = declaration.substring(0, declaration.lastIndexOf(' '));
        return switch (type) {
            case "int" -> Kernel.Param.I32;
            case "long long" -> Kernel.Param.I64;
            case "float" -> Kernel.Param.F32;
            default -> throw new IllegalArgumentException("no kernel parameter kind for '" + declaration + "'");
        };
    }

    @Test
    @DisplayName("each Kernel declaration has the parameter types of its extern \"C\" entry in baton_kernels.cu")
    void declarationsMatchTheSource() {
        KernelSources.assumePresent();
        Map<String, List<Kernel.Param>> source = entries(KernelSources.kernels());
        assertThat(source.keySet()).as("kernels in the source").hasSize(Kernel.values().length);
        for (Kernel k : Kernel.values()) {
            assertThat(source).as("the source defines %s", k.entry()).containsKey(k.entry());
            assertThat(k.params()).as(k.entry()).containsExactlyElementsOf(source.get(k.entry()));
        }
    }

    @Test
    @DisplayName("the parser reads pointer, int, long long and float parameters and refuses anything else")
    void parserReadsParameterKinds() {
        Map<String, List<Kernel.Param>> m = entries("extern \"C\" __global__ void f(const float* a, int b,\n"
                + "        long long c, float d, unsigned short* e) {");
        assertThat(m.get("f")).containsExactly(Kernel.Param.PTR, Kernel.Param.I32, Kernel.Param.I64, Kernel.Param.F32,
                Kernel.Param.PTR);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> kind("double x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("every kernel entry is in the committed fatbin, which starts with the fatbin magic")
    void everyKernelIsInTheFatbin() {
        KernelImage image = KernelImage.load();
        byte[] bytes = image.bytes();
        assertThat(bytes.length).isGreaterThan(16);
        int magic = (bytes[0] & 0xFF) | (bytes[1] & 0xFF) << 8 | (bytes[2] & 0xFF) << 16 | (bytes[3] & 0xFF) << 24;
        assertThat(Integer.toHexString(magic)).as("fatbin magic").isEqualTo("ba55ed50");
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        for (Kernel k : Kernel.values()) {
            assertThat(text).as("fatbin holds %s", k.entry()).contains(k.entry());
        }
    }
}
