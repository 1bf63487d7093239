/* The load panel of a site's page (templates/sites/_load.html) kept true without a reload. When one of the site's
 * chargers (the page's <script id="site-of-charger">) starts or stops a session or answers a command (its
 * profiles), the panel reads the site's load again from the API (GET /api/v1/sites/<id>/load/ with the page's
 * session), at most once per half second: the events say that something changed, the API says what. */
(function () {
  "use strict";

  var panel = document.getElementById("site-load");
  var mapScript = document.getElementById("site-of-charger");
  if (!panel || !panel.dataset.url || !mapScript || !window.portalLive) return;
  var chargers = JSON.parse(mapScript.textContent);
  var NAMES = ["transaction.started", "transaction.stopped", "command.finished"];
  var timer = null;

  window.portalLive.onEvent(function (name, d, snapshot) {
    if (snapshot || !chargers[d.charge_point_pk] || NAMES.indexOf(name) < 0 || timer) return;
    timer = setTimeout(function () {
      timer = null;
      refresh();
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

  function show(load) {
    panel.querySelector('[data-load="measured"]').textContent = amps(load.measured_a);
    var sum = load.allocations.reduce(function (total, a) { return total + Number(a.limit_a); }, 0);
    panel.querySelector('[data-load="allocated"]').textContent = sum.toFixed(1) + " A";
    var body = panel.querySelector("tbody");
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
