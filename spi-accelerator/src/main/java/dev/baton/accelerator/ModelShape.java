package dev.baton.accelerator;

import java.util.Objects;

/**
 * The shape of a decoder-only transformer: what the cost model and KV capacity planning need to know.
 *
 * @param name             e.g. {@code "meta-llama/Llama-3.1-8B"}
 * @param numLayers        decoder layers
 * @param hiddenSize       model width
 * @param numHeads         query heads
 * @param numKvHeads       key/value heads (grouped-query attention when fewer than query heads)
 * @param headDim          dimension of one head
 * @param intermediateSize MLP inner width
 * @param vocabSize        vocabulary size
 * @param numParams        total parameters
 * @param weightDtype      storage format of the weights
 * @param kvDtype          storage format of the KV cache
 * @param maxModelLen      longest sequence (prompt + output) the model serves
 * @param eosTokenId       the end-of-sequence token
 */
public record ModelShape(String name, int numLayers, int hiddenSize, int numHeads, int numKvHeads, int headDim,
                         int intermediateSize, int vocabSize, long numParams, DType weightDtype, DType kvDtype,
                         int maxModelLen, int eosTokenId) {
    public ModelShape {
        Objects.requireNonNull(name, "name");
        positive(numLayers, "numLayers");
        positive(hiddenSize, "hiddenSize");
        positive(numHeads, "numHeads");
        positive(numKvHeads, "numKvHeads");
        positive(headDim, "headDim");
        positive(intermediateSize, "intermediateSize");
        positive(vocabSize, "vocabSize");
        if (numParams <= 0) {
            throw new IllegalArgumentException("numParams must be positive, got " + numParams);
        }
        Objects.requireNonNull(weightDtype, "weightDtype");
        Objects.requireNonNull(kvDtype, "kvDtype");
        positive(maxModelLen, "maxModelLen");
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads (" + numHeads + ") must be a multiple of numKvHeads ("
                    + numKvHeads + ")");
        }
        if (eosTokenId < 0 || eosTokenId >= vocabSize) {
            throw new IllegalArgumentException("eosTokenId must be in [0, vocabSize = " + vocabSize + "), got "
                    + eosTokenId);
        }
    }

    /** KV bytes per token over the whole model: {@code 2 x layers x kvHeads x headDim x bytes}. */
    public double kvBytesPerToken() {
        return 2.0 * numLayers * numKvHeads * headDim * kvDtype.bytes();
    }

    /** Bytes of all weights. */
    public double weightBytes() {
        return numParams * weightDtype.bytes();
    }

    private static void positive(int v, String field) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + v);
        }
    }
}
