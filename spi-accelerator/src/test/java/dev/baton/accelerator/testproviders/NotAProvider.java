package dev.baton.accelerator.testproviders;

/** Listed in a services file but does not implement the service interface. */
public final class NotAProvider {
}
