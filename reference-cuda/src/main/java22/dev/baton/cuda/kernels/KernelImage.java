package dev.baton.cuda.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The compiled kernels: the fatbin built by nvcc from {@code src/main/cuda} ({@code build-fatbin.sh}) and committed as a
 * resource, with its record ({@code baton_kernels.fatbin.sha256}): the SHA-256 of the sources and of the fatbin, the
 * nvcc version and the flags. The nvcc release fixes the driver the kernels need: nvcc 13.0 emits PTX ISA 9.0, which a
 * driver older than CUDA 13.0 rejects.
 *
 * <p>Immutable.
 */
public final class KernelImage {

    /** The fatbin on the class path. */
    public static final String RESOURCE = "/dev/baton/cuda/kernels/baton_kernels.fatbin";
    /** Its record. */
    public static final String RECORD = RESOURCE + ".sha256";

    private static final Pattern RELEASE = Pattern.compile("release (\\d+)\\.(\\d+)");

    private final byte[] fatbin;
    private final Map<String, String> record;

    private KernelImage(byte[] fatbin, Map<String, String> record) {
        this.fatbin = fatbin;
        this.record = record;
    }

    /**
     * Reads the fatbin and its record from the class path.
     *
     * @throws IllegalStateException if either is missing (a broken build)
     */
    public static KernelImage load() {
        return new KernelImage(read(RESOURCE), parse(new String(read(RECORD), StandardCharsets.UTF_8)));
    }

    /** The record's lines as key (first word) to value (the rest). */
    public static Map<String, String> parse(String record) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : record.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                m.put(line.substring(0, sp), line.substring(sp + 1).trim());
            }
        }
        return m;
    }

    /** The fatbin's bytes (a copy). */
    public byte[] bytes() {
        return fatbin.clone();
    }

    /** The fatbin's size in bytes. */
    public int size() {
        return fatbin.length;
    }

    /** A value of the record: {@code sources-sha256}, {@code fatbin-sha256}, {@code nvcc}, {@code flags}, {@code sources}. */
    public String recorded(String key) {
        String v = record.get(key);
        if (v == null) {
            throw new IllegalStateException(RECORD + " has no '" + key + "' line; rebuild it with build-fatbin.sh");
        }
        return v;
    }

    /** The {@code cuDriverGetVersion} the kernels need: the nvcc release, e.g. 13000 for "release 13.0". */
    public int requiredDriverVersion() {
        return requiredDriverVersion(recorded("nvcc"));
    }

    static int requiredDriverVersion(String nvccVersion) {
        Matcher m = RELEASE.matcher(nvccVersion);
        if (!m.find()) {
            throw new IllegalStateException("cannot read the CUDA release from '" + nvccVersion + "'");
        }
        return Integer.parseInt(m.group(1)) * 1000 + Integer.parseInt(m.group(2)) * 10;
    }

    private static byte[] read(String resource) {
        try (InputStream in = KernelImage.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the class path: the reference-cuda jar"
                        + " is incomplete");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
