package dev.baton.scheduler.spec;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.api.Clock;
import dev.baton.api.request.SamplingParams;
import dev.baton.kv.KvCacheManager;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SpecDecodeStats;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.metrics.MetricsSink;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end on the CPU reference device: with every proposer, greedy output is identical to output without
 * speculation, through chunked prefill and preemption; KV usage returns to baseline; tokens per target step are
 * reported.
 */
class SpeculativeCpuTest {

    static final int K = 4;
    static final int REQUESTS = 8;
    static final String[] MODEL = {"cpu.hidden", "128", "cpu.heads", "4", "cpu.kv-heads", "2", "cpu.intermediate",
        "256", "cpu.vocab", "256", "cpu.max-model-len", "512"};

    static Map<String, int[]> baseline;
    static Map<Long, int[]> continuations;

    static Accelerator cpu(int layers, int kvBlocks) {
        AcceleratorConfig.Builder b = AcceleratorConfig.builder().blockSize(16).option("cpu.layers",
                Integer.toString(layers)).option("cpu.kv-blocks", Integer.toString(kvBlocks));
        for (int i = 0; i < MODEL.length; i += 2) {
            b.option(MODEL[i], MODEL[i + 1]);
        }
        return Accelerators.open("cpu", b.build());
    }

    /** Chunked prefill (budget 48) and a KV pool small enough to preempt. */
    static EngineConfig config() {
        return EngineConfig.builder().maxNumSeqs(6).maxNumBatchedTokens(48).build();
    }

    static List<Request> requests(EngineCore core, SamplingParams sampling) {
        SplittableRandom rnd = new SplittableRandom(7);
        List<Request> rs = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            int len = 6 + rnd.nextInt(60);
            int[] prompt = new int[len];
            for (int t = 0; t < len; t++) {
                // Half the prompts repeat a short phrase (where prompt lookup shines), half are random.
                prompt[t] = i % 2 == 0 ? (t % 5) * 11 + i : rnd.nextInt(250);
            }
            SamplingParams sp = sampling != null ? sampling : SamplingParams.greedy(24 + rnd.nextInt(24));
            rs.add(SpecEngines.request(core, "r" + i, prompt, sp, 500 + i));
        }
        return rs;
    }

    /** Checks after every step that no sequence holds blocks beyond computed + 1 + K + lookahead. */
    static void checkKv(EngineCore core, int lookahead) {
        KvCacheManager kv = core.scheduler().kv();
        for (int i = 0; i < core.scheduler().numRunning(); i++) {
            Sequence s = core.scheduler().get(i);
            assertThat(s.kv().blockTable(0).size()).as("%s", s)
                    .isLessThanOrEqualTo(kv.blocksNeeded(s.numComputed() + 1 + K + lookahead));
        }
    }

    static EngineCore core(Accelerator device, SpeculativeConfig spec) {
        return SpecEngines.core(device, Clock.system(), config(), spec, MetricsSink.NONE);
    }

    @BeforeAll
    static void runBaseline() {
        EngineCore core = core(cpu(4, 20), null);
        List<Request> rs = requests(core, null);
        baseline = SpecEngines.run(core, rs, c -> { });
        continuations = new HashMap<>();
        for (Request r : rs) {
            int[] prompt = r.request().promptTokens();
            int[] out = baseline.get(r.id());
            int[] all = new int[prompt.length + out.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(out, 0, all, prompt.length, out.length);
            continuations.put(r.sample(0).seed(), all);
        }
        assertThat(core.scheduler().totalPreemptions()).as("the pool is small enough to preempt").isPositive();
    }

    private static SpecDecodeStats runSpeculative(String name, ForwardingDevice device, SpeculativeConfig spec,
                                                  int lookahead) {
        EngineCore core = core(device, spec);
        Map<String, int[]> out = SpecEngines.run(core, requests(core, null), c -> checkKv(c, lookahead));
        SpecEngines.assertSameOutputs(out, baseline);
        KvCacheManager kv = core.scheduler().kv();
        assertThat(kv.usage()).as("KV usage back to baseline").isZero();
        assertThat(kv.numFreeBlocks()).isEqualTo(kv.config().numDeviceBlocks() - 1);
        assertThat(device.draftsWithPrefill).isZero();
        SpecDecodeStats st = core.scheduler().specDecodeStats();
        System.out.printf("%s: %d verifications, %d draft tokens, %d accepted; tokens per target step %.3f "
                        + "(mean acceptance length), acceptance rate %.3f, preemptions %d%n", name, st.drafts(),
                st.draftTokens(), st.acceptedTokens(), st.meanAcceptanceLength(), st.acceptanceRate(),
                core.scheduler().totalPreemptions());
        assertThat(st.drafts()).isPositive();
        assertThat(st.acceptedTokens()).as("some drafts accepted").isPositive();
        assertThat(st.acceptedTokens()).as("some drafts rejected").isLessThan(st.draftTokens());
        return st;
    }

    @Test
    @DisplayName("n-gram proposals: greedy output identical to no speculation, KV back to baseline")
    void ngram() {
        runSpeculative("n-gram", new ForwardingDevice(cpu(4, 20)),
                SpeculativeConfig.fixed(new NgramProposer(1, 3), K), 0);
    }

    @Test
    @DisplayName("draft model (the target truncated to 2 layers) through the SPI: identical greedy output, more than "
            + "one token per target step, the draft's own KV released")
    void draftModel() {
        DraftModelProposer proposer = new DraftModelProposer(cpu(2, 200));
        SpecDecodeStats st = runSpeculative("draft model", new ForwardingDevice(cpu(4, 20)),
                SpeculativeConfig.fixed(proposer, K), 0);
        assertThat(st.meanAcceptanceLength()).isGreaterThan(1.0);
        assertThat(proposer.kvUsage()).as("draft KV released").isZero();
        assertThat(proposer.trackedSequences()).isZero();
    }

    @Test
    @DisplayName("device proposals (EAGLE/Medusa-style heads): identical greedy output with k lookahead slots")
    void deviceProposals() {
        ProposingDevice device = new ProposingDevice(cpu(4, 20), K, continuations);
        SpecDecodeStats st = runSpeculative("device proposals", device,
                SpeculativeConfig.fixed(new DeviceProposals(), K), K);
        assertThat(st.meanAcceptanceLength()).isGreaterThan(2.0);
    }

    @Test
    @DisplayName("sampled requests with a draft model: drafts carry their distributions q, and seeded output is "
            + "reproducible")
    void sampledDraftModel() {
        SamplingParams sp = SamplingParams.builder().temperature(0.8).topK(50).maxTokens(20).build();
        Map<String, int[]> first = null;
        for (int run = 0; run < 2; run++) {
            ForwardingDevice device = new ForwardingDevice(cpu(4, 20));
            DraftModelProposer proposer = new DraftModelProposer(cpu(2, 200));
            EngineCore core = core(device, SpeculativeConfig.fixed(proposer, K));
            Map<String, int[]> out = SpecEngines.run(core, requests(core, sp), c -> { });
            assertThat(device.draftedSeqs).isPositive();
            assertThat(device.seqsWithRows).as("every sampled draft carries q rows").isEqualTo(device.draftedSeqs);
            assertThat(core.scheduler().specDecodeStats().acceptedTokens()).isPositive();
            assertThat(core.scheduler().kv().usage()).isZero();
            if (first == null) {
                first = out;
            } else {
                SpecEngines.assertSameOutputs(out, first);
            }
        }
    }
}
