package dev.baton.scheduler.preemption;

import dev.baton.scheduler.core.Sequence;

/**
 * vLLM v1's priority victim: the running sequence with the largest (priority, arrival sequence). A waiting sequence
 * displaces a running one only when its priority is strictly better (vLLM PR #54530's rule against ping-pong between
 * equals).
 */
final class LowestPriority implements VictimSelector {
    static final LowestPriority INSTANCE = new LowestPriority();

    @Override
    public int selectVictim(RunningBatch running, Sequence needing) {
        return worst(running);
    }

    @Override
    public boolean mayDisplace(Sequence candidate, Sequence victim) {
        return candidate.priority() < victim.priority();
    }

    @Override
    public int selectDisplaced(RunningBatch running, Sequence candidate) {
        int w = worst(running);
        return w >= 0 && mayDisplace(candidate, running.get(w)) ? w : -1;
    }

    private static int worst(RunningBatch running) {
        int best = -1;
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            if (best < 0 || after(s, running.get(best))) {
                best = i;
            }
        }
        return best;
    }

    private static boolean after(Sequence a, Sequence b) {
        if (a.priority() != b.priority()) {
            return a.priority() > b.priority();
        }
        if (a.arrivalSeq() != b.arrivalSeq()) {
            return a.arrivalSeq() > b.arrivalSeq();
        }
        return a.sampleIndex() > b.sampleIndex();
    }
}
