/* A charger's page, kept live from its feed (live.js): the message log's tail (`charger.log` events, sent only
 * while someone watches this charger), the current and voltage per phase (`meter_values.phases`, uPlot
 * charts seeded from <script id="phase-series">), and the status of recent commands (`command.finished`).
 */
(function () {
  "use strict";

  var MAX_LINES = 200;
  var MAX_POINTS = 2000;
  var COLOURS = { L1: "#8c564b", L2: "#111111", L3: "#7f7f7f" };
  var DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3]];
  var words = JSON.parse((document.getElementById("message-type-words") || { textContent: "{}" }).textContent);
  var tail = document.getElementById("log-tail");

  function localTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour12: false });
  }

  // --- The message log's tail ---------------------------------------------------------------------------------
  function appendLine(d) {
    if (!tail) return;
    var empty = tail.querySelector(".empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.setAttribute("data-direction", d.direction);
    li.className = "flash";
    var time = document.createElement("time");
    time.setAttribute("datetime", d.created_at);
    time.textContent = localTime(d.created_at);
    var dir = document.createElement("b");
    dir.textContent = d.direction;
    var kind = document.createElement("small");
    kind.textContent = (words[d.message_type] || "") + (d.error_code ? " " + d.error_code : "");
    var code = document.createElement("code");
    code.textContent = d.text;
    li.append(time, " ", dir, " " + (d.action || "") + " ", kind, " ", code);
    tail.appendChild(li);
    while (tail.children.length > MAX_LINES) tail.removeChild(tail.firstElementChild);
  }
  if (tail) {
    // Times in the viewer's timezone (the server wrote its own).
    Array.prototype.forEach.call(tail.querySelectorAll("time[datetime]"), function (t) {
      t.textContent = localTime(t.getAttribute("datetime"));
    });
  }

  // --- Current and voltage per phase --------------------------------------------------------------------------
  var seedScript = document.getElementById("phase-series");
  var seed = seedScript ? JSON.parse(seedScript.textContent) : {};
  var charts = {};

  function lineLabel(line, lines) {
    var connectors = {};
    lines.forEach(function (l) { connectors[l.connector] = true; });
    return Object.keys(connectors).length > 1 ? "#" + line.connector + " " + line.phase : line.phase;
  }

  function aligned(lines) {
    var times = {};
    lines.forEach(function (line) { line.points.forEach(function (p) { times[p[0]] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var data = [xs];
    lines.forEach(function (line) {
      var byTime = {};
      line.points.forEach(function (p) { byTime[p[0]] = p[1]; });
      data.push(xs.map(function (x) { return x in byTime ? byTime[x] : null; }));
    });
    return data;
  }

  function xRange(u, min, max) {
    if (min === null || max === null) { var now = Date.now() / 1000; return [now - 600, now]; }
    return max - min < 60 ? [max - 600, max + 30] : [min, max];
  }

  function build(box) {
    var key = box.getAttribute("data-phase-chart");
    var unit = box.getAttribute("data-unit");
    var state = charts[key] = { box: box, unit: unit, lines: (seed[key] || []).map(function (l) {
      return { connector: l.connector, phase: l.phase, points: l.points.slice() };
    }), chart: null };
    draw(state);
    window.addEventListener("resize", function () {
      if (state.chart) state.chart.setSize({ width: Math.max(240, box.clientWidth), height: 200 });
    });
  }

  function draw(state) {
    // A new line (a phase seen for the first time) changes the series: build the chart again.
    if (state.chart) state.chart.destroy();
    state.box.setAttribute("data-points", String(state.lines.reduce(function (n, l) { return n + l.points.length; }, 0)));
    if (!window.uPlot) return;
    var unit = state.unit;
    state.chart = new uPlot({
      width: Math.max(240, state.box.clientWidth),
      height: 200,
      scales: { x: { time: true, range: xRange } },
      axes: [{}, { label: unit }],
      series: [{}].concat(state.lines.map(function (line) {
        return { label: lineLabel(line, state.lines), stroke: COLOURS[line.phase] || "#1f77b4", width: 2,
                 dash: DASHES[(line.connector - 1 + DASHES.length) % DASHES.length], spanGaps: true,
                 value: function (u, v) { return v === null ? "–" : v.toFixed(1) + " " + unit; } };
      }))
    }, aligned(state.lines), state.box);
  }

  function addPhases(state, d, values) {
    var t = Date.parse(d.timestamp) / 1000;
    var rebuilt = false;
    Object.keys(values).forEach(function (phase) {
      var line = state.lines.filter(function (l) { return l.connector === d.connector_id && l.phase === phase; })[0];
      if (!line) {
        line = { connector: d.connector_id, phase: phase, points: [] };
        state.lines.push(line);
        state.lines.sort(function (a, b) { return a.connector - b.connector || (a.phase < b.phase ? -1 : 1); });
        rebuilt = true;
      }
      var last = line.points[line.points.length - 1];
      if (!last || last[0] < t) {
        line.points.push([t, Number(values[phase])]);
        if (line.points.length > MAX_POINTS) line.points.shift();
      }
    });
    if (rebuilt || !state.chart) { draw(state); return; }
    var data = aligned(state.lines);
    state.chart.setData(data, false);
    var xs = data[0];
    var range = xRange(state.chart, xs.length ? xs[0] : null, xs.length ? xs[xs.length - 1] : null);
    state.chart.setScale("x", { min: range[0], max: range[1] });
    state.box.setAttribute("data-points", String(state.lines.reduce(function (n, l) { return n + l.points.length; }, 0)));
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-phase-chart]"), build);

  if (!window.portalLive) return;
  window.portalLive.onEvent(function (name, d, snapshot) {
    if (name === "charger.log" && !snapshot) {
      appendLine(d);
    } else if (name === "meter_values.phases") {
      if (charts.current_a) addPhases(charts.current_a, d, d.current_a);
      if (charts.voltage_v) addPhases(charts.voltage_v, d, d.voltage_v);
    } else if (name === "command.finished") {
      Array.prototype.forEach.call(document.querySelectorAll('[data-command-status="' + d.command_pk + '"]'), function (el) {
        el.textContent = d.status + " (reload for the answer)";
        el.setAttribute("data-state", d.status);
      });
    }
  });
})();
