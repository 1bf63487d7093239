/* Charts of a finished record (uPlot, vendored in static/vendor/uplot/): one line per phase.
 *
 * Every <div class="chart" data-chart="series" data-series="current-series"></div> on the page, with
 * <script id="current-series" type="application/json">{"unit": "A", "lines": [{"label": "L1",
 *   "points": [[unix seconds, value], ...]}]}</script>
 * (transactions/selectors/figures.py writes them). The power chart, which follows a running session live, is
 * static/js/live-chart.js.
 */
(function () {
  "use strict";

  var COLOURS = { L1: "#8c564b", L2: "#1f1f1f", L3: "#7f7f7f" };
  var FALLBACK = ["#1f77b4", "#d62728", "#2ca02c"];
  if (!window.uPlot) return;
  Array.prototype.forEach.call(document.querySelectorAll('[data-chart="series"]'), seriesChart);

  function seriesChart(box) {
    var spec = JSON.parse(document.getElementById(box.getAttribute("data-series")).textContent);
    var times = {};
    spec.lines.forEach(function (line) { line.points.forEach(function (p) { times[p[0]] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var data = [xs].concat(spec.lines.map(function (line) {
      var byTime = {};
      line.points.forEach(function (p) { byTime[p[0]] = p[1]; });
      return xs.map(function (x) { return x in byTime ? byTime[x] : null; });
    }));
    function width() { return Math.max(240, box.clientWidth); }
    var chart = new uPlot({
      width: width(),
      height: 200,
      // Around the readings, not from zero: 229 V against 231 V is what an installer looks for.
      scales: { x: { time: true }, y: { range: function (u, min, max) {
        if (min === null || max === null) return [0, 1];
        var pad = Math.max((max - min) * 0.1, Math.abs(max) * 0.02, 0.5);
        return [min - pad, max + pad];
      } } },
      axes: [{}, { label: spec.unit, values: function (u, ticks) { return ticks.map(function (t) { return t.toFixed(0); }); } }],
      series: [{}].concat(spec.lines.map(function (line, i) {
        return { label: line.label, stroke: COLOURS[line.label] || FALLBACK[i % FALLBACK.length], width: 2, spanGaps: true,
                 value: function (u, v) { return v === null ? "–" : v.toFixed(1) + " " + spec.unit; } };
      }))
    }, data, box);
    box.setAttribute("data-points", String(xs.length));
    window.addEventListener("resize", function () { chart.setSize({ width: width(), height: 200 }); });
  }
})();
