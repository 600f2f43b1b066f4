package dev.baton.examples.workload;

import java.util.List;

/**
 * The requests read from a trace file, with what could not be read.
 *
 * @param name      the file's name
 * @param format    the format it was read as
 * @param requests  in arrival order, arrivals counted from the earliest one
 * @param lines     data lines read (blank lines and the header not counted)
 * @param skipped   data lines skipped as malformed
 * @param problems  the first few malformed lines, each {@code "line N: what is wrong"}
 */
public record TraceFile(String name, TraceFormat format, List<TraceRequest> requests, int lines, int skipped,
                        List<String> problems) {
    public TraceFile {
        requests = List.copyOf(requests);
        problems = List.copyOf(problems);
    }
}
