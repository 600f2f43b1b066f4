package dev.baton.accelerator.testproviders;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Availability;

/** A provider that is available under its name and opens nothing; the fixtures override the part that breaks. */
public abstract class FixtureProvider implements AcceleratorProvider {
    private final String name;

    protected FixtureProvider(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "test provider " + name;
    }

    @Override
    public Availability availability() {
        return Availability.available("fixture");
    }

    @Override
    public Accelerator open(AcceleratorConfig config) {
        throw new AcceleratorUnavailableException(name, "a fixture opens no device");
    }
}
