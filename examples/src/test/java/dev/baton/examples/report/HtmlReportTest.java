package dev.baton.examples.report;

import dev.baton.examples.replay.PolicyReport;
import dev.baton.examples.replay.Progress;
import dev.baton.examples.replay.Replay;
import dev.baton.examples.replay.ReplayConfig;
import dev.baton.examples.replay.ReplayPolicies;
import dev.baton.examples.replay.ReplayPolicy;
import dev.baton.examples.replay.EngineKnobs;
import dev.baton.examples.workload.Workload;
import dev.baton.examples.workload.WorkloadOptions;
import dev.baton.examples.workload.Workloads;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTML report parses, holds one chart per promised figure, and needs nothing from outside the file. */
class HtmlReportTest {

    @TempDir
    Path dir;

    @Test
    @DisplayName("the page has one chart per figure (latency CDFs, KV usage, queue length, tenant attainment), "
            + "each drawing every policy, and no script or external resource")
    void chartsAndSelfContained() throws Exception {
        Workload w = Workloads.builtIn("multi-tenant", new WorkloadOptions(0.3, 60_000_000_000L, 0, 1, null));
        ReplayConfig c = new ReplayConfig(ReplayConfig.DEFAULT_DEVICE, EngineKnobs.defaults(),
                ReplayConfig.DEFAULT_SLO, null, 0, Long.MAX_VALUE);
        List<PolicyReport> reports = new ArrayList<>();
        for (ReplayPolicy p : ReplayPolicies.all()) {
            reports.add(PolicyReport.of(Replay.run(w, p, c, Progress.NONE)));
        }
        Path page = dir.resolve("report/replay.html");
        HtmlReport.write(page, w, c, reports);
        String html = Files.readString(page);

        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document doc = f.newDocumentBuilder().parse(page.toFile());

        NodeList figures = doc.getElementsByTagName("figure");
        Map<String, Element> charts = new HashMap<>();
        for (int i = 0; i < figures.getLength(); i++) {
            Element e = (Element) figures.item(i);
            assertThat(e.getAttribute("class")).isEqualTo("chart");
            assertThat(charts.put(e.getAttribute("data-chart"), e)).as("one chart per figure").isNull();
        }
        assertThat(charts.keySet()).containsExactlyInAnyOrderElementsOf(HtmlReport.CHARTS);
        int policies = reports.size();
        for (String id : List.of("ttft-cdf", "tpot-cdf", "e2e-cdf", "kv-usage", "queue-length")) {
            Element svg = (Element) charts.get(id).getElementsByTagName("svg").item(0);
            assertThat(svg).as(id).isNotNull();
            NodeList lines = svg.getElementsByTagName("polyline");
            assertThat(lines.getLength()).as(id + ": one line per policy").isEqualTo(policies);
            for (int i = 0; i < lines.getLength(); i++) {
                assertThat(((Element) lines.item(i)).getAttribute("points").split(" ").length).as(id)
                        .isGreaterThan(10);
            }
        }
        Element bars = (Element) charts.get("tenant-attainment").getElementsByTagName("svg").item(0);
        assertThat(bars.getElementsByTagName("rect").getLength()).as("a bar per tenant and policy, plus legend")
                .isEqualTo(4 * policies + policies);

        assertThat(doc.getElementsByTagName("script").getLength()).isZero();
        assertThat(html).doesNotContain("<script", "src=", "href=", "@import", "url(");
        assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http://", "https://");
        assertThat(html).contains("Content-Security-Policy", "default-src 'none'");
    }
}
