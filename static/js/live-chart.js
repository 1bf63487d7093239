/* A live power chart (uPlot, vendored in static/vendor/uplot/) fed by the page's live feed (live.js).
 *
 * Every <div class="chart" data-chart="power" data-series="power-series"></div> on the page, with
 * <script id="power-series" type="application/json">{"lines": [{"label": "Connector 1", "cp": 3,
 *   "connector": 1, "tx": null, "points": [[unix seconds, watts], ...]}]}</script>
 * A line follows the readings of its charger's connector, or of one session when "tx" is set.
 */
(function () {
  "use strict";

  var MAX_POINTS = 2000;
  var COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
  if (!window.uPlot) return;
  Array.prototype.forEach.call(document.querySelectorAll('[data-chart="power"]'), powerChart);
  // For a chart added after the page loaded (a session's card on /me/, static/js/me.js).
  window.portalCharts = { power: powerChart };

  function powerChart(box) {
    var spec = JSON.parse(document.getElementById(box.getAttribute("data-series")).textContent);
    var lines = spec.lines.map(function (line) {
      return { label: line.label, cp: line.cp, connector: line.connector, tx: line.tx, points: line.points.slice() };
    });

    function aligned() {
      // uPlot wants one x array and one y array per line, with null where a line has no reading.
      var times = {};
      lines.forEach(function (line) { line.points.forEach(function (p) { times[p[0]] = true; }); });
      var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
      var data = [xs];
      lines.forEach(function (line) {
        var byTime = {};
        line.points.forEach(function (p) { byTime[p[0]] = p[1] / 1000; });
        data.push(xs.map(function (x) { return x in byTime ? byTime[x] : null; }));
      });
      return data;
    }

    function xRange(u, min, max) {
      // One reading (or none) spans no time: show the minutes around it rather than years.
      if (min === null || max === null) { var now = Date.now() / 1000; return [now - 600, now]; }
      return max - min < 60 ? [max - 600, max + 30] : [min, max];
    }

    function width() {
      return Math.max(240, box.clientWidth);
    }

    var options = {
      width: width(),
      height: 220,
      scales: { x: { time: true, range: xRange }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
      axes: [{}, { label: "kW", values: function (u, ticks) { return ticks.map(function (t) { return t.toFixed(1); }); } }],
      series: [{}].concat(lines.map(function (line, i) {
        return { label: line.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true,
                 value: function (u, v) { return v === null ? "–" : v.toFixed(1) + " kW"; } };
      }))
    };
    var chart = new uPlot(options, aligned(), box);
    box.setAttribute("data-points", String(lines.reduce(function (n, l) { return n + l.points.length; }, 0)));

    window.addEventListener("resize", function () { chart.setSize({ width: width(), height: 220 }); });

    if (!window.portalLive) return;
    window.portalLive.onEvent(function (name, data) {
      if (name !== "meter_values" || data.power_w === null) return;
      var t = Date.parse(data.timestamp) / 1000;
      var changed = false;
      lines.forEach(function (line) {
        var mine = line.tx ? data.transaction_pk === line.tx
                           : data.charge_point_pk === line.cp && data.connector_id === line.connector;
        var last = line.points[line.points.length - 1];
        if (mine && (!last || last[0] < t)) {
          line.points.push([t, Number(data.power_w)]);
          if (line.points.length > MAX_POINTS) line.points.shift();
          changed = true;
        }
      });
      if (changed) {
        var data = aligned();
        chart.setData(data, false);
        // uPlot's own x range for a single reading spans years: set it from the readings instead.
        var xs = data[0];
        var range = xRange(chart, xs.length ? xs[0] : null, xs.length ? xs[xs.length - 1] : null);
        chart.setScale("x", { min: range[0], max: range[1] });
        box.setAttribute("data-points", String(lines.reduce(function (n, l) { return n + l.points.length; }, 0)));
      }
    });
  }
})();
