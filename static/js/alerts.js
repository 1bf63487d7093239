/* The alerts page, live: a raised alert (alert.raised on the fleet feed, static/js/live.js) appears at the top
 * of the open alerts; a cleared one (alert.cleared) is marked so. Times in the viewer's timezone (local-time.js).
 */
(function () {
  "use strict";

  var table = document.querySelector('table[data-alerts="open"]');
  if (!table || !window.portalLive) return;
  var body = table.tBodies[0];
  var kinds = JSON.parse(document.getElementById("alert-kinds").textContent);
  var acknowledge = document.getElementById("alert-acknowledge");

  var labels = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent; });

  function cell(row, content) {
    var td = row.insertCell(-1);
    td.setAttribute("data-label", labels[td.cellIndex] || "");
    if (typeof content === "string") td.textContent = content;
    else if (content) td.appendChild(content);
    return td;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function about(d) {
    var span = document.createElement("span");
    if (d.charge_point_id) {
      span.appendChild(link("/chargers/" + encodeURIComponent(d.charge_point_id) + "/", d.charge_point_id));
      if (d.connector_id) span.appendChild(document.createTextNode(" connector " + d.connector_id));
    }
    if (d.site_pk) span.appendChild(link("/sites/" + d.site_pk + "/", (d.charge_point_id ? " " : "") + "site " + d.site_pk));
    return span;
  }

  function badge(kind) {
    var span = document.createElement("span");
    span.className = "badge kind";
    span.setAttribute("data-kind", kind);
    span.textContent = kinds[kind] || kind;
    return span;
  }

  function ackCell(d) {
    if (!acknowledge) return null;
    var form = acknowledge.content.firstElementChild.cloneNode(true);
    form.action = "/alerts/" + d.alert_pk + "/acknowledge/";
    form.querySelector("button").setAttribute("aria-label", "Acknowledge alert " + d.alert_pk + ": " + d.message);
    return form;
  }

  function count(change) {
    // The server's count (it may be more than the rows shown), kept by what arrives.
    var counter = document.querySelector("[data-alerts-count]");
    if (counter) counter.textContent = String(Math.max(0, Number(counter.textContent) + change));
    var none = document.querySelector("[data-alerts-none]");
    if (none) none.hidden = body.rows.length > 0;
  }

  function raised(d) {
    if (body.querySelector('tr[data-alert="' + d.alert_pk + '"]')) return;
    var row = body.insertRow(0);
    row.setAttribute("data-alert", d.alert_pk);
    row.setAttribute("data-kind", d.kind);
    row.className = "flash";
    cell(row, window.portalTime ? window.portalTime.element(d.raised_at) : d.raised_at);
    cell(row, badge(d.kind));
    cell(row, about(d));
    cell(row, d.message);
    cell(row, ackCell(d) || "–");
    count(1);
  }

  function cleared(d) {
    var row = body.querySelector('tr[data-alert="' + d.alert_pk + '"]');
    if (!row || row.hasAttribute("data-cleared")) return;
    row.setAttribute("data-cleared", "");
    var note = document.createElement("small");
    note.className = "cleared-note";
    note.appendChild(document.createTextNode(" cleared "));
    note.appendChild(window.portalTime ? window.portalTime.element(d.cleared_at) : document.createTextNode(d.cleared_at));
    row.cells[3].appendChild(note);
    count(-1);
  }

  window.portalLive.onEvent(function (name, data) {
    if (name === "alert.raised") raised(data);
    else if (name === "alert.cleared") cleared(data);
  });
})();
