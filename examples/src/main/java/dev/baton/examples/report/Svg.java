package dev.baton.examples.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Charts as inline SVG, drawn here rather than by a script, so a report page needs no JavaScript, font or network to
 * render. Line charts (linear or log10 x axis) and grouped bar charts, with axes, ticks and a legend.
 */
final class Svg {

    static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
        "#17becf"};
    /** Dash patterns by series, so that policies with identical results still show as distinct lines. */
    private static final String[] DASHES = {"", "7 4", "2 3", "10 3 2 3", "4 4", "1 4", "12 6", "6 2 2 2"};

    private static final int WIDTH = 660;
    private static final int HEIGHT = 330;
    private static final int LEFT = 64;
    private static final int RIGHT = 150;
    private static final int TOP = 16;
    private static final int BOTTOM = 46;

    /** One line: a name and its points. */
    record Line(String name, double[] x, double[] y) {
    }

    private Svg() {
    }

    /**
     * A line chart.
     *
     * @param logX    log10 x axis (for latencies over several decades)
     * @param yMax    top of the y axis, or NaN to fit the data
     * @param markerX where to draw a dashed vertical marker (an SLO target), or NaN for none
     */
    static String lineChart(List<Line> lines, String xLabel, String yLabel, boolean logX, double yMax,
                            double markerX, String markerLabel) {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y1 = 0;
        for (Line l : lines) {
            for (int i = 0; i < l.x.length; i++) {
                double x = l.x[i];
                if (logX && !(x > 0)) {
                    continue;
                }
                x0 = Math.min(x0, x);
                x1 = Math.max(x1, x);
                y1 = Math.max(y1, l.y[i]);
            }
        }
        if (!Double.isFinite(x0)) {
            return empty("no data");
        }
        if (Double.isFinite(markerX) && (!logX || markerX > 0)) {
            x0 = Math.min(x0, markerX);
            x1 = Math.max(x1, markerX);
        }
        if (logX) {
            x0 = Math.pow(10, Math.floor(Math.log10(x0)));
            x1 = Math.pow(10, Math.ceil(Math.log10(x1)));
            if (x1 <= x0) {
                x1 = x0 * 10;
            }
        } else if (x1 <= x0) {
            x1 = x0 + 1;
        }
        double top = Double.isNaN(yMax) ? niceCeil(y1 <= 0 ? 1 : y1 * 1.05) : yMax;
        Axis xa = new Axis(x0, x1, logX);
        StringBuilder b = open();
        grid(b, xa, top, xLabel, yLabel);
        for (int k = 0; k < lines.size(); k++) {
            Line l = lines.get(k);
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < l.x.length; i++) {
                if (logX && !(l.x[i] > 0)) {
                    continue;
                }
                pts.append(f(xa.px(l.x[i]))).append(',').append(f(py(Math.min(l.y[i], top), top))).append(' ');
            }
            b.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(color(k)).append('"')
                    .append(dash(k)).append(" points=\"").append(pts.toString().trim()).append("\"><title>")
                    .append(esc(l.name)).append("</title></polyline>\n");
        }
        if (Double.isFinite(markerX) && (!logX || markerX > 0)) {
            double x = xa.px(markerX);
            b.append(String.format(Locale.ROOT, "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%d\" stroke=\"#555\" "
                    + "stroke-dasharray=\"3 3\"/>%n", f(x), TOP, f(x), HEIGHT - BOTTOM));
            boolean nearRight = x > LEFT + 0.85 * (WIDTH - LEFT - RIGHT);
            b.append(text(nearRight ? x - 4 : x + 4, TOP + 12, markerLabel, nearRight ? "end" : "start"));
        }
        legend(b, lines.stream().map(Line::name).toList(), true);
        return b.append("</svg>").toString();
    }

    /**
     * Grouped bars: one group per category, one bar per series, values in 0..1 (shown as percent).
     *
     * @param values values[series][category]; NaN draws no bar
     */
    static String barChart(List<String> categories, List<String> series, double[][] values, String yLabel) {
        if (categories.isEmpty() || series.isEmpty()) {
            return empty("no data");
        }
        StringBuilder b = open();
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        for (int t = 0; t <= 4; t++) {
            double v = t / 4.0;
            double y = py(v, 1);
            b.append(line(LEFT, y, LEFT + plotW, y, "#ddd"));
            b.append(text(LEFT - 6, y + 4, String.format(Locale.ROOT, "%.0f%%", 100 * v), "end"));
        }
        double groupW = (double) plotW / categories.size();
        double barW = Math.min(40, groupW * 0.8 / series.size());
        for (int c = 0; c < categories.size(); c++) {
            double gx = LEFT + c * groupW + (groupW - barW * series.size()) / 2;
            for (int s = 0; s < series.size(); s++) {
                double v = values[s][c];
                if (!Double.isFinite(v)) {
                    continue;
                }
                double y = py(Math.max(0, Math.min(1, v)), 1);
                b.append(String.format(Locale.ROOT, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\">"
                                + "<title>%s, %s: %.1f%%</title></rect>%n", f(gx + s * barW), f(y), f(barW - 1),
                        f(TOP + plotH - y), color(s), esc(series.get(s)), esc(categories.get(c)), 100 * v));
            }
            b.append(text(LEFT + c * groupW + groupW / 2, TOP + plotH + 16, categories.get(c), "middle"));
        }
        b.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#333"));
        b.append(line(LEFT, TOP, LEFT, TOP + plotH, "#333"));
        b.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
                + "text-anchor=\"middle\">%s</text>%n", TOP + plotH / 2, TOP + plotH / 2, esc(yLabel)));
        legend(b, series, false);
        return b.append("</svg>").toString();
    }

    // ------------------------------------------------------------------ pieces

    private static StringBuilder open() {
        return new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                + "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, HEIGHT,
                WIDTH, HEIGHT));
    }

    private static String empty(String why) {
        return open().append(text(WIDTH / 2.0, HEIGHT / 2.0, why, "middle")).append("</svg>").toString();
    }

    private static void grid(StringBuilder b, Axis xa, double top, String xLabel, String yLabel) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        for (double tick : xa.ticks()) {
            double x = xa.px(tick);
            b.append(line(x, TOP, x, TOP + plotH, "#eee"));
            b.append(text(x, TOP + plotH + 14, xa.label(tick), "middle"));
        }
        for (int t = 0; t <= 4; t++) {
            double v = top * t / 4;
            double y = py(v, top);
            b.append(line(LEFT, y, LEFT + plotW, y, "#eee"));
            b.append(text(LEFT - 6, y + 4, tickLabel(v), "end"));
        }
        b.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#333"));
        b.append(line(LEFT, TOP, LEFT, TOP + plotH, "#333"));
        b.append(text(LEFT + plotW / 2.0, HEIGHT - 8, xLabel, "middle"));
        b.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
                + "text-anchor=\"middle\">%s</text>%n", TOP + plotH / 2, TOP + plotH / 2, esc(yLabel)));
    }

    private static void legend(StringBuilder b, List<String> names, boolean lines) {
        int x = WIDTH - RIGHT + 12;
        for (int k = 0; k < names.size(); k++) {
            int y = TOP + 10 + 18 * k;
            if (lines) {
                b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                        + "stroke-width=\"2\"%s/>%n", x, y - 2, x + 16, y - 2, color(k), dash(k)));
            } else {
                b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"8\" "
                        + "fill=\"%s\"/>%n", x, y - 6, color(k)));
            }
            b.append(text(x + 20, y + 2, names.get(k), "start"));
        }
    }

    private static String dash(int k) {
        String d = DASHES[k % DASHES.length];
        return d.isEmpty() ? "" : " stroke-dasharray=\"" + d + "\"";
    }

    private static double py(double v, double top) {
        int plotH = HEIGHT - TOP - BOTTOM;
        return TOP + plotH - plotH * (top <= 0 ? 0 : v / top);
    }

    private static String line(double x0, double y0, double x1, double y1, String color) {
        return String.format(Locale.ROOT, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/>%n", f(x0),
                f(y0), f(x1), f(y1), color);
    }

    private static String text(double x, double y, String s, String anchor) {
        return String.format(Locale.ROOT, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\">%s</text>%n", f(x), f(y), anchor,
                esc(s));
    }

    static String color(int k) {
        return PALETTE[k % PALETTE.length];
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String tickLabel(double v) {
        if (v == 0) {
            return "0";
        }
        if (Math.abs(v) >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 1 ? "%.1f" : "%.2f", v);
    }

    private static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** An x axis, linear or log10. */
    private record Axis(double lo, double hi, boolean log) {
        double px(double x) {
            int plotW = WIDTH - LEFT - RIGHT;
            double f = log ? (Math.log10(x) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (x - lo) / (hi - lo);
            return LEFT + plotW * Math.max(0, Math.min(1, f));
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            if (log) {
                for (double d = lo; d <= hi * 1.0001; d *= 10) {
                    t.add(d);
                }
            } else {
                double step = niceCeil((hi - lo) / 6);
                for (double d = Math.ceil(lo / step) * step; d <= hi + step * 1e-9; d += step) {
                    t.add(d);
                }
            }
            return t;
        }

        String label(double v) {
            if (log) {
                return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", trim(v));
            }
            return tickLabel(v);
        }

        private static String trim(double v) {
            String s = String.format(Locale.ROOT, "%.6f", v);
            return s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
    }
}
