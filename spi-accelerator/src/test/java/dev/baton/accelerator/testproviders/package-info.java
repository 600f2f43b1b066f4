/**
 * Accelerator providers that fail in each way a real one can (a constructor or static initializer that throws, a class
 * file for a newer JDK, a missing superclass, a probe that throws or answers nothing). They are registered only by
 * the test class loader of {@code AcceleratorsDiscoveryTest}, never in a services file on the class path.
 */
package dev.baton.accelerator.testproviders;
