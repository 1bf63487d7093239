/* What every page does (templates/base.html loads it):
 * - the main navigation says where the reader is: aria-current="page" on the link of the current section (the
 *   longest link that starts the path, so /chargers/models/ wins over /chargers/ on a model's page);
 * - live values that change state (a charger online or offline, a connector's status, a session's state) are
 *   polite live regions, so a screen reader tells when they change. Power, energy and durations are not: they
 *   change every few seconds and would drown everything else out; the feed's own status (#live-status) is one.
 */
(function () {
  "use strict";
  var best = null;
  Array.prototype.forEach.call(document.querySelectorAll('nav[aria-label="Main"] a[href^="/"]'), function (a) {
    var href = a.getAttribute("href");
    var here = location.pathname === href || (href !== "/" && location.pathname.indexOf(href) === 0);
    if (here && (!best || href.length > best.getAttribute("href").length)) best = a;
  });
  if (best) best.setAttribute("aria-current", "page");

  var states = '[data-live="online"], [data-live="status"], [data-live="tx-state"]';
  Array.prototype.forEach.call(document.querySelectorAll(states), function (el) {
    if (!el.hasAttribute("aria-live")) el.setAttribute("aria-live", "polite");
  });
})();
