/**
 * The {@code cpu} accelerator provider: a reference Llama-style transformer in plain Java float32 whose attention reads
 * and writes K/V through block tables in a paged pool laid out as {@link dev.baton.accelerator.KvCacheLayout}
 * documents, with sampling and exact draft verification on the device. It proves that scheduling, paging and
 * speculation leave generated tokens unchanged.
 */
package dev.baton.accelerator.cpu;
