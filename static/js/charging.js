/* The composite schedule of a charger as a step chart (uPlot, vendored in static/vendor/uplot/).
 *
 * <div id="composite-chart"></div> with <script id="composite-series" type="application/json">
 * {"unit": "A" | "W", "t": [unix seconds, ...], "limit": [number, ...]}</script>
 * (chargers/charging/selectors.py composite_series writes it; the last point repeats the last limit at the
 * schedule's end). Watts are drawn as kW with one decimal, amps with one decimal.
 */
(function () {
  "use strict";

  var box = document.getElementById("composite-chart");
  var source = document.getElementById("composite-series");
  if (!box || !source || !window.uPlot) return;
  var spec = JSON.parse(source.textContent);
  var kilo = spec.unit === "W";
  var unit = kilo ? "kW" : spec.unit;
  var values = spec.limit.map(function (v) { return v === null ? null : (kilo ? v / 1000 : v); });
  function width() { return Math.max(240, box.clientWidth); }
  var chart = new uPlot({
    width: width(),
    height: 220,
    scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, (max || 0) * 1.15)]; } } },
    axes: [{}, { label: "limit (" + unit + ")", values: function (u, ticks) { return ticks.map(function (t) { return t.toFixed(1); }); } }],
    series: [{}, {
      label: "limit", stroke: "#1f77b4", fill: "rgba(31,119,180,0.12)", width: 2,
      // A profile's limit holds until the next period starts: a step, not a slope.
      paths: uPlot.paths.stepped({ align: 1 }),
      value: function (u, v) { return v === null ? "–" : v.toFixed(1) + " " + unit; }
    }]
  }, [spec.t, values], box);
  window.addEventListener("resize", function () { chart.setSize({ width: width(), height: 220 }); });
})();
