package dev.baton.accelerator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Finds accelerator providers with {@link ServiceLoader} and opens devices by name.
 *
 * <p>Discovery never fails because one provider is broken. A provider whose class cannot be loaded on this JDK (a
 * class file compiled for a newer release throws {@link UnsupportedClassVersionError}, a {@link LinkageError} that a
 * {@code catch (ServiceConfigurationError)} does not see), whose constructor throws, or whose availability probe
 * throws, is listed as unavailable with the reason, and the others are still found.
 */
public final class Accelerators {

    /** The provider used when none is named: the simulated accelerator. */
    public static final String DEFAULT_PROVIDER = "sim";

    private static final int MAX_LOAD_FAILURES = 64;

    private Accelerators() {
    }

    /** Every provider visible to this class's loader, in discovery order. */
    public static List<ProviderStatus> discover() {
        return discover(Accelerators.class.getClassLoader());
    }

    /** Every provider visible to {@code loader}, in discovery order. */
    public static List<ProviderStatus> discover(ClassLoader loader) {
        List<ProviderStatus> found = new ArrayList<>();
        Iterator<AcceleratorProvider> it = ServiceLoader.load(AcceleratorProvider.class, loader).iterator();
        int failures = 0;
        while (failures < MAX_LOAD_FAILURES) {
            AcceleratorProvider provider;
            try {
                if (!it.hasNext()) {
                    break;
                }
                provider = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                failures++;
                found.add(new ProviderStatus(failedName(e), "provider failed to load",
                        Availability.unavailable(describe(e)), null));
                continue;
            }
            found.add(status(provider));
        }
        return List.copyOf(found);
    }

    /**
     * The provider named {@code name}.
     *
     * @throws UnknownProviderException listing the providers that exist
     */
    public static AcceleratorProvider provider(String name) {
        if (name == null || name.isBlank()) {
            throw new UnknownProviderException(String.valueOf(name), names(discover()));
        }
        List<ProviderStatus> all = discover();
        for (ProviderStatus s : all) {
            if (s.name().equals(name)) {
                if (s.provider() == null) {
                    throw new AcceleratorUnavailableException(name, s.availability().detail());
                }
                return s.provider();
            }
        }
        throw new UnknownProviderException(name, names(all));
    }

    /**
     * Opens a device from a spec {@code provider[:profile]} (for example {@code "sim:h100/llama-3.1-8b"} or
     * {@code "cpu"}); the profile part replaces {@code config.profile()}.
     *
     * @throws UnknownProviderException         if no provider has that name
     * @throws AcceleratorUnavailableException  if the provider is not available here
     * @throws IllegalArgumentException         if the profile or an option is unknown to the provider
     */
    public static Accelerator open(String spec, AcceleratorConfig config) {
        String name = spec;
        String profile = config.profile();
        int colon = spec == null ? -1 : spec.indexOf(':');
        if (colon >= 0) {
            name = spec.substring(0, colon);
            profile = spec.substring(colon + 1);
        }
        AcceleratorProvider provider = provider(name);
        Availability availability = safeAvailability(provider);
        if (!availability.isAvailable()) {
            throw new AcceleratorUnavailableException(name, availability.detail());
        }
        return provider.open(config.toBuilder().profile(profile).build());
    }

    private static ProviderStatus status(AcceleratorProvider provider) {
        String name;
        String description;
        try {
            name = provider.name();
            description = provider.description();
        } catch (RuntimeException | LinkageError e) {
            return new ProviderStatus(provider.getClass().getName(), "provider failed to describe itself",
                    Availability.unavailable(describe(e)), null);
        }
        if (name == null || name.isBlank()) {
            // Without a name nobody can select it; list it by class so the listing still shows it (ProviderStatus
            // refuses a null name, which would otherwise crash discovery for everyone).
            return new ProviderStatus(provider.getClass().getName(), "provider failed to describe itself",
                    Availability.unavailable("name() returned " + (name == null ? "null" : "'" + name + "'")
                            + "; an AcceleratorProvider must have a non-blank name"), null);
        }
        return new ProviderStatus(name, description == null ? "(no description)" : description,
                safeAvailability(provider), provider);
    }

    private static Availability safeAvailability(AcceleratorProvider provider) {
        try {
            Availability a = provider.availability();
            return a == null ? Availability.unavailable("provider returned no availability") : a;
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("availability probe failed: " + describe(e));
        }
    }

    private static List<String> names(List<ProviderStatus> all) {
        List<String> names = new ArrayList<>();
        for (ProviderStatus s : all) {
            names.add(s.name());
        }
        return names;
    }

    /**
     * The class name of the provider that failed to load, read from the JDK's messages (their wording is stable across
     * JDK 17..25), or {@code "unknown provider"} when the error names another class (a missing dependency).
     */
    static String failedName(Throwable e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof ServiceConfigurationError) {
            // "<service>: Provider x.Y could not be instantiated", "<service>: Provider x.Y not found",
            // "<service>: x.Y not a subtype". Class names may themselves end in "Provider", so parse by position.
            String prefix = AcceleratorProvider.class.getName() + ": ";
            String detail = msg.startsWith(prefix) ? msg.substring(prefix.length()) : msg;
            if (detail.startsWith("Provider ")) {
                return firstWord(detail.substring("Provider ".length()));
            }
            if (detail.endsWith(" not a subtype")) {
                return firstWord(detail);
            }
        } else if (e instanceof UnsupportedClassVersionError) {
            // "x/Y has been compiled by a more recent version of the Java Runtime (class file version 66.0), ..."
            int at = msg.indexOf(" has been compiled");
            if (at > 0) {
                return msg.substring(0, at).replace('/', '.');
            }
        }
        return "unknown provider";
    }

    private static String firstWord(String s) {
        int end = s.indexOf(' ');
        return end < 0 ? s : s.substring(0, end);
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        StringBuilder sb = new StringBuilder();
        while (root != null) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(root.getClass().getSimpleName()).append(": ").append(root.getMessage());
            if (root instanceof UnsupportedClassVersionError) {
                sb.append(" (this provider needs a newer JDK than ").append(Runtime.version().feature()).append(')');
            }
            root = root.getCause() == root ? null : root.getCause();
        }
        return sb.toString();
    }
}
