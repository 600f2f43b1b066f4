/**
 * The reference CUDA binding of the accelerator SPI. On JDK 17 to 21 only the provider is here, reporting that it needs
 * JDK 22+; the binding itself is in the jar's {@code META-INF/versions/22}.
 */
package dev.baton.cuda;
