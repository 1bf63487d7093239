/* /me/: a session begun on one of the customer's cards after the page loaded gets its card without a reload.
 *
 * The page watches its `mine` feed (live/subscribers.py passes on the start of every session on the viewer's
 * cards). For a session it does not show yet, it fetches the card from /me/sessions/<pk>/card/ (the same template
 * the page was rendered with), starts its chart, and then watches that session's feed too: its readings and its
 * stop then arrive as for the cards the page was loaded with (live.js, live-chart.js).
 */
(function () {
  "use strict";

  var box = document.getElementById("running-sessions");
  if (!box || !window.portalLive) return;
  var asked = {};

  function shown(pk) {
    return box.querySelector('[data-tx="' + pk + '"]') !== null;
  }

  function addCard(pk, html) {
    if (shown(pk)) return;
    box.insertAdjacentHTML("afterbegin", html); // our own template, rendered by the portal for this viewer
    var chart = box.querySelector('[data-chart="power"][data-series="power-series-' + pk + '"]');
    if (chart && window.portalCharts) window.portalCharts.power(chart);
    var empty = document.getElementById("no-running");
    if (empty) empty.hidden = true;
    var feed = "transaction:" + pk;
    var feeds = window.portalLive.feeds();
    if (feeds.indexOf(feed) < 0) window.portalLive.watch(feeds.concat([feed]));
  }

  window.portalLive.onEvent(function (name, data) {
    if (name !== "transaction.started" || data.stopped_at) return;
    var pk = data.transaction_pk;
    if (!pk || asked[pk] || shown(pk)) return;
    asked[pk] = true;
    var url = box.getAttribute("data-card-url").replace("/0/card/", "/" + pk + "/card/");
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("card " + pk + ": HTTP " + response.status);
        return response.text();
      })
      .then(function (html) { addCard(pk, html); })
      .catch(function () { delete asked[pk]; }); // the next snapshot (a reconnect) asks again
  });
})();
