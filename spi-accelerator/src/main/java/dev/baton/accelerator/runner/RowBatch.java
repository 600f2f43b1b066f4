package dev.baton.accelerator.runner;

import dev.baton.api.plan.BlockTable;

import java.util.Arrays;

/**
 * The rows of one forward pass as {@link StepRunner#prepare} hands them over: per row its token, position and the
 * offset of its sequence's block table, which rows want logits, and the block ids of every table. Devices read the
 * arrays directly (they are valid until the next {@link #clear()} or append, which may replace them).
 *
 * <p>Confined to the device's thread. Arrays grow to the largest batch seen and are then reused: a steady stream of
 * steps allocates nothing.
 */
public final class RowBatch implements StepRunner.Batch {

    private int rows;
    private int[] token = new int[64];
    private int[] position = new int[64];
    private int[] tableOffset = new int[64];
    private int[] logitRow = new int[64];
    private int[] logitSource = new int[64];
    private int numLogits;
    private int[] tables = new int[256];
    private int tablesSize;

    /** Empties the batch; keeps the arrays. */
    public void clear() {
        rows = 0;
        numLogits = 0;
        tablesSize = 0;
    }

    @Override
    public int addTable(BlockTable table, int length) {
        if (tablesSize + length > tables.length) {
            tables = Arrays.copyOf(tables, Math.max(tables.length * 2, tablesSize + length));
        }
        table.copyTo(0, tables, tablesSize, length);
        int at = tablesSize;
        tablesSize += length;
        return at;
    }

    @Override
    public int tableBlock(int tableOffset, int index) {
        return tables[tableOffset + index];
    }

    @Override
    public int addRow(int tokenId, int pos, int tableOff, boolean wantLogits) {
        if (rows == token.length) {
            int n = rows * 2;
            token = Arrays.copyOf(token, n);
            position = Arrays.copyOf(position, n);
            tableOffset = Arrays.copyOf(tableOffset, n);
            logitRow = Arrays.copyOf(logitRow, n);
            logitSource = Arrays.copyOf(logitSource, n);
        }
        token[rows] = tokenId;
        position[rows] = pos;
        tableOffset[rows] = tableOff;
        logitRow[rows] = -1;
        if (wantLogits) {
            logitSource[numLogits] = rows;
            logitRow[rows] = numLogits++;
        }
        return logitRow[rows++];
    }

    /** Rows in the batch. */
    public int rows() {
        return rows;
    }

    /** Token id per row. */
    public int[] tokens() {
        return token;
    }

    /** Sequence position per row. */
    public int[] positions() {
        return position;
    }

    /** Offset in {@link #tables()} of each row's block table. */
    public int[] tableOffsets() {
        return tableOffset;
    }

    /** Per row, its logits row, or {@code -1} when it wants none. */
    public int[] logitRows() {
        return logitRow;
    }

    /** Per logits row, the batch row it belongs to. */
    public int[] logitSources() {
        return logitSource;
    }

    /** Rows that want logits. */
    public int numLogits() {
        return numLogits;
    }

    /** The block ids of every table, back to back. */
    public int[] tables() {
        return tables;
    }

    /** Used entries of {@link #tables()}. */
    public int tablesSize() {
        return tablesSize;
    }
}
