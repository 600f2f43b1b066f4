package dev.baton.accelerator.sim;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.ModelShape;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Built-in model shapes for the simulated accelerator, from the models' published configurations
 * ({@code config.json} of the Hugging Face checkpoints).
 */
public final class ModelProfiles {

    private static final Map<String, ModelShape> PROFILES = new LinkedHashMap<>();

    static {
        PROFILES.put("llama-3.1-8b", new ModelShape("meta-llama/Llama-3.1-8B", 32, 4096, 32, 8, 128, 14336, 128256,
                8_030_261_248L, DType.BF16, DType.BF16, 131072, 128001));
        PROFILES.put("llama-3.1-70b", new ModelShape("meta-llama/Llama-3.1-70B", 80, 8192, 64, 8, 128, 28672, 128256,
                70_553_706_496L, DType.BF16, DType.BF16, 131072, 128001));
    }

    private ModelProfiles() {
    }

    public static Iterable<String> names() {
        return PROFILES.keySet();
    }

    /**
     * The model profile {@code name} (case-insensitive; {@code meta-llama/Llama-3.1-8B} also works).
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static ModelShape get(String name) {
        if (name == null) {
            throw new IllegalArgumentException("no model profile given; known: "
                    + String.join(", ", PROFILES.keySet()));
        }
        String key = name.toLowerCase(Locale.ROOT);
        int slash = key.lastIndexOf('/');
        if (slash >= 0) {
            key = key.substring(slash + 1);
        }
        key = key.replace("meta-", "");
        ModelShape shape = PROFILES.get(key);
        if (shape == null) {
            throw new IllegalArgumentException("unknown model profile '" + name + "'; known: "
                    + String.join(", ", PROFILES.keySet()));
        }
        return shape;
    }
}
