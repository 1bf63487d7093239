/* The fleet's figures kept true from the fleet feed (live.js): chargers by state, energy today, each charger's
 * state on the list. The state rule is chargers/selectors.py's, handed over in
 * <script id="fleet-state-rule">{"charging": [statuses], "faulted": [statuses], "pending": [charger pks]}</script>:
 * pending first, then offline; an online charger is faulted when a connector is, else charging when one
 * charges, else available. Elements:
 *   data-live="fleet-state" data-fleet-state="<state>"        how many chargers are in that state
 *   data-live="fleet-energy-today" data-ended-wh="<Wh>"        energy of sessions ended today + running ones
 *   data-live="cp-state" data-cp="<charger pk>"                a charger's state
 *   data-live="cp-power" data-cp="<charger pk>"                its power: outlets summed, connector 0 only
 *                                                               when no outlet reports (chargers/selectors.py)
 */
(function () {
  "use strict";

  var ruleScript = document.getElementById("fleet-state-rule");
  if (!ruleScript || !window.portalLive) return;
  var rule = JSON.parse(ruleScript.textContent);
  var pending = {};
  (rule.pending || []).forEach(function (pk) { pending[pk] = true; });
  var chargers = {}; // pk -> {online, connectors: {id: status}, power: {id: W}}
  var sessions = {}; // transaction pk -> {start: Wh, energy: Wh|undefined}
  var energyEl = document.querySelector('[data-live="fleet-energy-today"]');
  var endedWh = energyEl ? Number(energyEl.getAttribute("data-ended-wh")) : 0;
  var inSnapshot = false;
  var format = window.portalLive.format;

  function charger(pk) {
    return chargers[pk] || (chargers[pk] = { online: false, connectors: {}, power: {} });
  }

  function stateOf(pk) {
    if (pending[pk]) return "pending";
    var c = chargers[pk];
    if (!c || !c.online) return "offline";
    var statuses = Object.keys(c.connectors).map(function (id) { return c.connectors[id]; });
    if (statuses.some(function (s) { return rule.faulted.indexOf(s) >= 0; })) return "faulted";
    if (statuses.some(function (s) { return rule.charging.indexOf(s) >= 0; })) return "charging";
    return "available";
  }

  function powerOf(pk) {
    var c = chargers[pk];
    if (!c) return undefined;
    var outlets = Object.keys(c.power).filter(function (id) { return id !== "0"; });
    if (outlets.length) return outlets.reduce(function (sum, id) { return sum + c.power[id]; }, 0);
    return c.power["0"];
  }

  function setText(el, text) {
    if (el.textContent !== text) {
      el.textContent = text;
      el.classList.remove("flash");
      void el.offsetWidth; // restart the highlight animation
      el.classList.add("flash");
    }
  }

  function show() {
    var counts = { available: 0, charging: 0, faulted: 0, offline: 0, pending: 0 };
    var known = {};
    Object.keys(chargers).forEach(function (pk) { known[pk] = true; counts[stateOf(pk)] += 1; });
    // Pending chargers the feed has not mentioned still count.
    Object.keys(pending).forEach(function (pk) { if (!known[pk]) counts.pending += 1; });
    Array.prototype.forEach.call(document.querySelectorAll('[data-live="fleet-state"]'), function (el) {
      setText(el, String(counts[el.getAttribute("data-fleet-state")] || 0));
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-live="cp-state"]'), function (el) {
      var state = stateOf(el.getAttribute("data-cp"));
      el.setAttribute("data-state", state);
      setText(el, state);
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-live="cp-power"]'), function (el) {
      var watts = powerOf(el.getAttribute("data-cp"));
      if (watts !== undefined) setText(el, format.kw(watts));
    });
    if (energyEl) {
      var running = 0;
      Object.keys(sessions).forEach(function (pk) {
        var s = sessions[pk];
        if (s.energy !== undefined && s.energy >= s.start) running += s.energy - s.start;
      });
      setText(energyEl, format.kwh(endedWh + running));
    }
  }

  var apply = {
    "charger.online": function (d) { charger(d.charge_point_pk).online = true; },
    "charger.offline": function (d) { charger(d.charge_point_pk).online = false; },
    "charger.status": function (d) { charger(d.charge_point_pk).connectors[d.connector_id] = d.status; },
    "transaction.started": function (d) {
      sessions[d.transaction_pk] = sessions[d.transaction_pk] || { start: Number(d.meter_start_wh) };
    },
    "transaction.stopped": function (d, snapshot) {
      if (!snapshot && sessions[d.transaction_pk] && d.energy_wh !== null) endedWh += Number(d.energy_wh);
      delete sessions[d.transaction_pk];
    },
    "meter_values": function (d) {
      if (d.power_w !== null) charger(d.charge_point_pk).power[d.connector_id] = Number(d.power_w);
      var s = d.transaction_pk && sessions[d.transaction_pk];
      if (s && d.energy_wh !== null) s.energy = Number(d.energy_wh);
    }
  };

  window.portalLive.onEvent(function (name, data, snapshot) {
    if (snapshot && !inSnapshot) {
      // What is true now replaces what the page knew.
      chargers = {};
      sessions = {};
    }
    inSnapshot = !!snapshot;
    if (!apply[name]) return;
    apply[name](data, snapshot);
    show();
  });
})();
