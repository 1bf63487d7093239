/* The load panel of a site's page (templates/sites/_load.html) kept true without a reload. When one of the site's
 * chargers (the page's <script id="site-of-charger">) starts or stops a session or answers a command (its
 * profiles), the panel reads the site's load again from the API (GET /api/v1/sites/<id>/load/ with the page's
 * session), at most once per half second: the events say that something changed, the API says what.
 * The chart of the last hours (uPlot) reads GET /api/v1/sites/<id>/load/history/ on load, with each refresh and
 * every HISTORY_EVERY_MS (a building reading brings no event to the page). */
(function () {
  "use strict";

  var panel = document.getElementById("site-load");
  var mapScript = document.getElementById("site-of-charger");
  if (!panel || !panel.dataset.url) return;
  var HISTORY_EVERY_MS = 30000;
  var WINDOW_S = 6 * 3600; // the chart's window, asked of the API with ?since= (its own default may differ)
  var history = historyChart();
  if (history) setInterval(function () { refresh(); history.load(); }, HISTORY_EVERY_MS);
  if (!mapScript || !window.portalLive) return;
  var chargers = JSON.parse(mapScript.textContent);
  var NAMES = ["transaction.started", "transaction.stopped", "command.finished"];
  var timer = null;

  window.portalLive.onEvent(function (name, d, snapshot) {
    if (snapshot || !chargers[d.charge_point_pk] || NAMES.indexOf(name) < 0 || timer) return;
    timer = setTimeout(function () {
      timer = null;
      refresh();
      if (history) history.load();
    }, 500);
  });

  function refresh() {
    fetch(panel.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (load) { if (load) show(load); })
      .catch(function () { /* the next event tries again */ });
  }

  // The API gives amps as JSON numbers (16, 6.6): one decimal on the page, as the allocator rounds them.
  function amps(value) { return value === null ? "–" : Number(value).toFixed(1) + " A"; }

  function cell(row, text, href) {
    var td = row.insertCell();
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
  }

  function building(b) {
    if (!b) return "not metered";
    var text = b.current_a.map(function (a) { return Number(a).toFixed(1); }).join(" / ") + " A";
    return b.stale ? text + " (stale: sessions paused)" : text;
  }

  // The history's columns as uPlot wants them: times, then one array per line (null where a figure is missing).
  var LINES = [
    { key: "limit_a", label: "Limit", stroke: "#d62728", dash: [6, 4] },
    { key: "allocated_a", label: "Allocated", stroke: "#1f77b4" },
    { key: "measured_a", label: "Drawn", stroke: "#2ca02c" },
    { key: "building_a", label: "Building", stroke: "#8c564b" }
  ];

  function historyChart() {
    var box = panel.querySelector('[data-load="history"]');
    if (!box || !window.uPlot || !panel.dataset.historyUrl) return null;
    var chart = null;
    function width() { return Math.max(240, box.clientWidth); }
    function draw(rows) {
      box.setAttribute("data-points", String(rows.length));
      if (!rows.length) return;
      var data = [rows.map(function (r) { return Date.parse(r.at) / 1000; })].concat(LINES.map(function (line) {
        return rows.map(function (r) { return r[line.key] === null ? null : Number(r[line.key]); });
      }));
      if (chart) { chart.setData(data); return; }
      box.textContent = "";
      chart = new uPlot({
        width: width(),
        height: 220,
        // The window the API gives (the last six hours) up to now: one round is a point at the right, not a year.
        scales: { x: { time: true, range: function () { var now = Date.now() / 1000; return [now - WINDOW_S, now]; } }, y: { range: function (u, min, max) { return [0, Math.max(1, max || 0) * 1.1]; } } },
        axes: [{}, { label: "A per phase" }],
        series: [{}].concat(LINES.map(function (line) {
          return { label: line.label, stroke: line.stroke, width: 2, dash: line.dash, spanGaps: false,
                   value: function (u, v) { return v === null ? "–" : v.toFixed(1) + " A"; } };
        }))
      }, data, box);
      window.addEventListener("resize", function () { chart.setSize({ width: width(), height: 220 }); });
    }
    function load() {
      var since = new Date(Date.now() - WINDOW_S * 1000).toISOString();
      fetch(panel.dataset.historyUrl + "?since=" + encodeURIComponent(since), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (rows) { if (rows) draw(rows); })
        .catch(function () { /* the next refresh tries again */ });
    }
    load();
    return { load: load };
  }

  function show(load) {
    panel.querySelector('[data-load="measured"]').textContent = amps(load.measured_a);
    panel.querySelector('[data-load="building"]').textContent = building(load.building);
    var sum = load.allocations.reduce(function (total, a) { return total + Number(a.limit_a); }, 0);
    panel.querySelector('[data-load="allocated"]').textContent = sum.toFixed(1) + " A";
    var body = panel.querySelector("table.records tbody"); // not the chart's legend
    body.textContent = "";
    load.allocations.forEach(function (a) {
      var row = body.insertRow();
      cell(row, "#" + a.transaction_id, "/transactions/" + a.transaction_id + "/");
      cell(row, a.charge_point_id);
      cell(row, Number(a.limit_a) ? amps(a.limit_a) : "paused");
      cell(row, amps(a.sent_limit_a));
      cell(row, amps(a.accepted_limit_a));
    });
    if (!load.allocations.length) {
      var empty = body.insertRow().insertCell();
      empty.colSpan = 5;
      empty.textContent = "No session is running.";
    }
  }
})();
