/**
 * The CUDA driver API through the Foreign Function and Memory API: the symbol table
 * ({@link dev.baton.cuda.driver.DriverFunction}), the bound driver ({@link dev.baton.cuda.driver.CudaDriver}), result
 * codes and typed errors, the availability probe, and the one platform thread per device that makes every call.
 */
package dev.baton.cuda.driver;
