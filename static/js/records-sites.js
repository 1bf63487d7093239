/* The sites list kept true from the fleet feed (static/js/live.js): each site's power now, sessions running and
 * chargers online, summed from its chargers' events. The page names which charger counts in which sites in
 * <script id="site-of-charger" type="application/json">{"<charger pk>": [<site pk>, ...]}</script>
 * (transactions/sites/selectors.py). Power is summed as live.js sums the fleet: the outlets, connector 0 only
 * when no outlet reports.
 */
(function () {
  "use strict";

  var mapScript = document.getElementById("site-of-charger");
  if (!mapScript || !window.portalLive) return;
  var sitesOf = JSON.parse(mapScript.textContent);
  var chargers = {}; // pk -> {online, connectors: {id: power_w}}
  var running = {}; // transaction pk -> charger pk
  var inSnapshot = false;

  function charger(pk) {
    return chargers[pk] || (chargers[pk] = { online: undefined, connectors: {} });
  }

  window.portalLive.onEvent(function (name, d, snapshot) {
    if (!sitesOf[d.charge_point_pk]) return;
    if (snapshot && !inSnapshot) {
      // A (re)connect sends what is true now: forget what this page knew, once per snapshot.
      inSnapshot = true;
      chargers = {};
      running = {};
      setTimeout(function () { inSnapshot = false; }, 0);
    }
    var c = charger(d.charge_point_pk);
    if (name === "charger.online") c.online = true;
    else if (name === "charger.offline") c.online = false;
    else if (name === "meter_values" && d.power_w !== null) c.connectors[d.connector_id] = Number(d.power_w);
    else if (name === "transaction.started") running[d.transaction_pk] = d.charge_point_pk;
    else if (name === "transaction.stopped") delete running[d.transaction_pk];
    else return;
    show();
  });

  function show() {
    var totals = {};
    function site(pk) { return totals[pk] || (totals[pk] = { power: null, online: 0, sessions: 0 }); }
    Object.keys(chargers).forEach(function (pk) {
      var c = chargers[pk];
      var outlets = Object.keys(c.connectors).filter(function (id) { return id !== "0"; });
      var watts = null;
      if (outlets.length) watts = outlets.reduce(function (sum, id) { return sum + c.connectors[id]; }, 0);
      else if (c.connectors["0"] !== undefined) watts = c.connectors["0"];
      (sitesOf[pk] || []).forEach(function (s) {
        var t = site(s);
        if (watts !== null) t.power = (t.power || 0) + watts;
        if (c.online) t.online += 1;
      });
    });
    Object.keys(running).forEach(function (tx) {
      (sitesOf[running[tx]] || []).forEach(function (s) { site(s).sessions += 1; });
    });
    Object.keys(totals).forEach(function (s) {
      var t = totals[s];
      set("power", s, t.power === null ? null : window.portalLive.format.kw(t.power));
      set("online", s, String(t.online));
      set("sessions", s, String(t.sessions));
    });
  }

  function set(field, site, text) {
    if (text === null) return;
    Array.prototype.forEach.call(
      document.querySelectorAll('[data-site-live="' + field + '"][data-site="' + site + '"]'),
      function (el) {
        if (el.textContent !== text) {
          el.textContent = text;
          el.classList.remove("flash");
          void el.offsetWidth; // restart the highlight animation
          el.classList.add("flash");
        }
      }
    );
  }
})();
