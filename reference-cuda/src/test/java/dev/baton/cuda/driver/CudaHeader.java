package dev.baton.cuda.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a CUDA {@code cuda.h} says, read with a few regular expressions: the symbol each API name maps to, function
 * prototypes (as the {@code i32(ptr,i64)} notation of {@link DriverFunction#signature()}), the result codes of
 * {@code enum cudaError_enum}, and the fields of a struct.
 *
 * <p>Comments are removed first (the header's documentation quotes old struct layouts), and so is the legacy section
 * at its end ({@code #if defined(__CUDA_API_VERSION_INTERNAL)}), which declares the unversioned entry points with
 * their old signatures.
 */
final class CudaHeader {

    private static final Pattern DEFINE = Pattern.compile(
            "(?m)^\\s*#define\\s+(cu\\w+)\\s+(?:__CUDA_API_PT(?:SZ|DS)\\((\\w+)\\)|(\\w+))\\s*$");
    private static final Pattern PROTOTYPE = Pattern.compile("CUresult\\s+CUDAAPI\\s+(\\w+)\\s*\\(([^)]*)\\)\\s*;");
    private static final Pattern ERROR = Pattern.compile("\\b(CUDA_SUCCESS|CUDA_ERROR_\\w+)\\s*=\\s*(\\d+)");

    private final String text;
    private final Map<String, String> defines = new LinkedHashMap<>();
    private final Map<String, String> prototypes = new LinkedHashMap<>();

    CudaHeader(String source) {
        String noComments = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", "");
        int legacy = noComments.indexOf("#if defined(__CUDA_API_VERSION_INTERNAL)\n");
        this.text = legacy >= 0 ? noComments.substring(0, legacy) : noComments;
        Matcher d = DEFINE.matcher(text);
        while (d.find()) {
            defines.put(d.group(1), d.group(2) != null ? d.group(2) : d.group(3));
        }
        Matcher p = PROTOTYPE.matcher(text);
        while (p.find()) {
            prototypes.putIfAbsent(p.group(1), p.group(2));
        }
    }

    static CudaHeader read(Path file) throws IOException {
        return new CudaHeader(Files.readString(file, StandardCharsets.ISO_8859_1));
    }

    /** The {@code CUDA_VERSION} the header declares, e.g. 13000. */
    int cudaVersion() {
        Matcher m = Pattern.compile("#define\\s+CUDA_VERSION\\s+(\\d+)").matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no CUDA_VERSION in the header");
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * The symbol {@code api} resolves to when per-thread default streams are off: the header's {@code #define} target
     * (its argument for {@code __CUDA_API_PTSZ}/{@code __CUDA_API_PTDS}), else the name itself.
     */
    String symbol(String api) {
        String s = api;
        for (int guard = 0; guard < 4 && defines.containsKey(s) && !defines.get(s).equals(s); guard++) {
            s = defines.get(s);
        }
        return s;
    }

    /** The signature of {@code api}'s prototype in {@code i32(ptr,i64)} notation, or {@code null} if not declared. */
    String signature(String api) {
        String params = prototypes.get(api);
        if (params == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        String trimmed = params.trim();
        if (!trimmed.isEmpty() && !trimmed.equals("void")) {
            for (String p : trimmed.split(",")) {
                out.add(notation(p.trim()));
            }
        }
        return "i32(" + String.join(",", out) + ")";
    }

    /** The {@code i32}/{@code i64}/{@code i8}/{@code f32}/{@code ptr} notation of one C parameter declaration. */
    static String notation(String param) {
        if (param.contains("*")) {
            return "ptr";
        }
        String[] words = param.replace("const ", "").trim().split("\\s+");
        String type = String.join(" ", java.util.Arrays.copyOf(words, Math.max(1, words.length - 1)));
        return switch (type) {
            case "int", "unsigned int", "CUresult", "CUdevice", "CUdevice_attribute", "CUfunction_attribute",
                 "CUmemorytype", "unsigned", "CUjit_option" -> "i32";
            case "size_t", "CUdeviceptr", "unsigned long long", "cuuint64_t" -> "i64";
            case "unsigned char" -> "i8";
            case "float" -> "f32";
            case "CUcontext", "CUstream", "CUevent", "CUmodule", "CUfunction", "CUarray", "CUlibrary",
                 "CUkernel", "CUgraph", "CUgraphExec" -> "ptr";
            default -> throw new IllegalArgumentException("no notation for C type '" + type + "' in '" + param + "'");
        };
    }

    /** {@code enum cudaError_enum}: code to name. */
    Map<Integer, String> errors() {
        int start = text.indexOf("typedef enum cudaError_enum");
        int end = text.indexOf("} CUresult;", start);
        if (start < 0 || end < 0) {
            throw new IllegalStateException("no enum cudaError_enum in the header");
        }
        Map<Integer, String> m = new LinkedHashMap<>();
        Matcher e = ERROR.matcher(text.substring(start, end));
        while (e.find()) {
            m.put(Integer.parseInt(e.group(2)), e.group(1));
        }
        return m;
    }

    /** The fields of {@code struct <name>_st}, in order, as (C type, field name). */
    List<String[]> structFields(String structTag) {
        Matcher m = Pattern.compile("typedef\\s+struct\\s+" + structTag + "\\s*\\{([^}]*)\\}").matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no struct " + structTag + " in the header");
        }
        List<String[]> fields = new ArrayList<>();
        for (String decl : m.group(1).split(";")) {
            String d = decl.trim().replaceAll("\\s+", " ");
            if (d.isEmpty()) {
                continue;
            }
            int cut = d.lastIndexOf(' ');
            String type = d.substring(0, cut).replace("const ", "");
            String name = d.substring(cut + 1);
            if (name.startsWith("*")) {
                type = type + " *";
                name = name.substring(1);
            }
            fields.add(new String[] {type.trim(), name});
        }
        return fields;
    }
}
