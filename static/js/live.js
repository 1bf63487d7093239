/* The live pages' feed: one websocket to /ws/live/, reconnecting on its own, and the page's numbers kept true.
 *
 * A page says what it watches in <script id="live-feeds" type="application/json">["fleet"]</script> (and a
 * share link's page its token in <script id="live-share">); templates/base.html writes both. Elements carry
 * what they show:
 *   data-live="online" data-cp="<charger pk>"                      online / offline
 *   data-live="status|power|energy" data-cp data-connector          a connector's status, kW, kWh (its meter)
 *   data-live="tx-power|tx-energy|tx-duration|tx-state" data-tx     a session's kW, kWh so far, h:mm:ss, state
 *   data-live="fleet-online|fleet-power|fleet-sessions"             the fleet's totals
 *   #live-status                                                    live / reconnecting / stale
 * Other scripts (the charts) listen with portalLive.onEvent(function (name, data, snapshot) {...}), and may
 * change what the page watches with portalLive.watch(["fleet", ...]) (portalLive.feeds() says what it asked for).
 * Units are formatted as live/templatetags/live_units.py does.
 */
(function () {
  "use strict";

  var feedsScript = document.getElementById("live-feeds");
  if (!feedsScript || !window.WebSocket) return;
  var feeds = JSON.parse(feedsScript.textContent);
  var shareScript = document.getElementById("live-share");
  var share = shareScript ? JSON.parse(shareScript.textContent) : undefined;
  var staleMs = 40000; // 2.5 heartbeats; the portal says how often it beats in its `watching` answer
  var listeners = [];
  var chargers = {}; // pk -> {online: bool|undefined, connectors: {id: {status, power_w, energy_wh}}}
  var sessions = {}; // transaction pk -> {started: data, stopped: data|undefined, reading: data|undefined}
  var socket = null;
  var lastHeard = 0;
  var retryMs = 1000;
  var everConnected = false;

  function kw(watts) {
    if (watts === null || watts === undefined || watts === "") return "–";
    return (Math.round(Number(watts) / 100) / 10).toFixed(1) + " kW";
  }
  function kwh(wattHours) {
    if (wattHours === null || wattHours === undefined || wattHours === "") return "–";
    return (Math.round(Number(wattHours) / 10) / 100).toFixed(2) + " kWh";
  }
  function hms(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var m = Math.floor((s % 3600) / 60);
    var r = s % 60;
    return Math.floor(s / 3600) + ":" + (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }
  function setText(selector, text) {
    each(selector, function (el) {
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.remove("flash");
        void el.offsetWidth; // restart the highlight animation
        el.classList.add("flash");
      }
    });
  }

  function charger(pk) {
    return chargers[pk] || (chargers[pk] = { online: undefined, connectors: {} });
  }
  function connector(pk, id) {
    var c = charger(pk).connectors;
    return c[id] || (c[id] = {});
  }

  // --- What each event changes ------------------------------------------------------------------------------
  var apply = {
    "charger.online": function (d) { setOnline(d.charge_point_pk, true); },
    "charger.offline": function (d) { setOnline(d.charge_point_pk, false); },
    "charger.status": function (d) {
      connector(d.charge_point_pk, d.connector_id).status = d.status;
      setText(at("status", d.charge_point_pk, d.connector_id), d.status);
      each(at("status", d.charge_point_pk, d.connector_id), function (el) { el.setAttribute("data-state", d.status); });
    },
    "meter_values": function (d) {
      var c = connector(d.charge_point_pk, d.connector_id);
      if (d.power_w !== null) c.power_w = Number(d.power_w);
      if (d.energy_wh !== null) c.energy_wh = Number(d.energy_wh);
      if (d.power_w !== null) setText(at("power", d.charge_point_pk, d.connector_id), kw(d.power_w));
      if (d.energy_wh !== null) setText(at("energy", d.charge_point_pk, d.connector_id), kwh(d.energy_wh));
      if (d.transaction_pk && sessions[d.transaction_pk] && !sessions[d.transaction_pk].stopped) {
        sessions[d.transaction_pk].reading = d;
        showSession(d.transaction_pk);
      }
      totals();
    },
    "transaction.started": function (d) {
      var s = sessions[d.transaction_pk] || (sessions[d.transaction_pk] = {});
      s.started = d;
      showSession(d.transaction_pk);
      totals();
    },
    "transaction.stopped": function (d) {
      var s = sessions[d.transaction_pk] || (sessions[d.transaction_pk] = {});
      s.stopped = d;
      showSession(d.transaction_pk);
      totals();
    }
  };

  function at(field, pk, id) {
    return '[data-live="' + field + '"][data-cp="' + pk + '"][data-connector="' + id + '"]';
  }
  function setOnline(pk, online) {
    charger(pk).online = online;
    setText('[data-live="online"][data-cp="' + pk + '"]', online ? "online" : "offline");
    each('[data-live="online"][data-cp="' + pk + '"]', function (el) { el.setAttribute("data-state", online ? "online" : "offline"); });
    totals();
  }

  function showSession(pk) {
    var s = sessions[pk];
    var sel = function (field) { return '[data-live="' + field + '"][data-tx="' + pk + '"]'; };
    var start = s.started ? s.started.meter_start_wh : Number(attr(sel("tx-energy"), "data-meter-start"));
    if (s.stopped) {
      setText(sel("tx-state"), "finished");
      setText(sel("tx-power"), kw(0));
      if (s.stopped.energy_wh !== null) setText(sel("tx-energy"), kwh(s.stopped.energy_wh));
      each(sel("tx-duration"), function (el) { el.setAttribute("data-stopped", s.stopped.stopped_at); });
    } else if (s.reading) {
      setText(sel("tx-state"), "charging");
      if (s.reading.power_w !== null) setText(sel("tx-power"), kw(s.reading.power_w));
      if (s.reading.energy_wh !== null && !isNaN(start)) setText(sel("tx-energy"), kwh(Number(s.reading.energy_wh) - start));
    }
    durations();
  }
  function attr(selector, name) {
    var el = document.querySelector(selector);
    return el ? el.getAttribute(name) : null;
  }

  function durations() {
    each('[data-live="tx-duration"][data-started]', function (el) {
      var end = el.getAttribute("data-stopped") ? Date.parse(el.getAttribute("data-stopped")) : Date.now();
      var text = hms((end - Date.parse(el.getAttribute("data-started"))) / 1000);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  function totals() {
    var online = 0, watts = 0, known = false;
    Object.keys(chargers).forEach(function (pk) {
      var c = chargers[pk];
      if (c.online) online += 1;
      // Outlets (1..n) summed; connector 0 (the whole charger) only when no outlet reports power.
      var outlets = 0, any = false;
      Object.keys(c.connectors).forEach(function (id) {
        var p = c.connectors[id].power_w;
        if (id !== "0" && p !== undefined) { outlets += p; any = true; }
      });
      if (!any && c.connectors["0"] && c.connectors["0"].power_w !== undefined) { outlets = c.connectors["0"].power_w; any = true; }
      if (any) { watts += outlets; known = true; }
    });
    var running = Object.keys(sessions).filter(function (pk) { return sessions[pk].started && !sessions[pk].stopped; });
    if (Object.keys(chargers).length) setText('[data-live="fleet-online"]', String(online));
    if (known) setText('[data-live="fleet-power"]', kw(watts));
    if (feeds.indexOf("fleet") >= 0) setText('[data-live="fleet-sessions"]', String(running.length));
  }

  function handle(events, snapshot) {
    if (snapshot) {
      // What is true now replaces what the page knew (a reconnect may have missed events).
      chargers = {};
      sessions = {};
    }
    events.forEach(function (e) {
      if (apply[e.event]) apply[e.event](e.data);
      listeners.forEach(function (fn) { fn(e.event, e.data, snapshot); });
    });
  }

  // --- The socket -----------------------------------------------------------------------------------------------
  function say(state, text) {
    each("#live-status", function (el) {
      el.setAttribute("data-state", state);
      el.textContent = text;
    });
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live/";
    socket = new WebSocket(url);
    socket.onopen = function () {
      retryMs = 1000;
      lastHeard = Date.now();
      socket.send(JSON.stringify({ watch: feeds, share: share }));
    };
    socket.onmessage = function (message) {
      lastHeard = Date.now();
      var m = JSON.parse(message.data);
      if (m.type === "snapshot") {
        everConnected = true;
        say("live", "live");
        handle(m.events, true);
      } else if (m.type === "events") {
        say("live", "live");
        handle(m.events, false);
      } else if (m.type === "watching") {
        if (m.heartbeat_s) staleMs = Math.max(2000, m.heartbeat_s * 2500);
        if (m.refused.length && !m.feeds.length) say("refused", "no live updates for this page");
      }
    };
    socket.onclose = function () {
      socket = null;
      say("stale", (everConnected ? "connection lost" : "connecting") + ", retrying…");
      // Backoff with jitter: a restarted server is not met by every page at once.
      setTimeout(connect, retryMs * (0.5 + Math.random() / 2));
      retryMs = Math.min(retryMs * 2, 30000);
    };
  }

  setInterval(function () {
    durations();
    if (socket && socket.readyState === WebSocket.OPEN && Date.now() - lastHeard > staleMs) {
      say("stale", "stale: nothing heard for " + Math.round((Date.now() - lastHeard) / 1000) + " s, reconnecting…");
      socket.close();
    }
  }, 1000);

  function watch(wanted) {
    // The portal answers a new watch request with `watching` and a fresh snapshot; a reconnect asks for these too.
    feeds = wanted.slice();
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ watch: feeds, share: share }));
  }

  window.portalLive = {
    onEvent: function (fn) { listeners.push(fn); },
    watch: watch,
    feeds: function () { return feeds.slice(); },
    format: { kw: kw, kwh: kwh, hms: hms }
  };
  say("stale", "connecting…");
  connect();
})();
