/* The main navigation says where the reader is: aria-current="page" on the link of the current section (the
 * longest link that starts the path, so /chargers/models/ wins over /chargers/ on a model's page). */
(function () {
  "use strict";
  var best = null;
  Array.prototype.forEach.call(document.querySelectorAll('nav[aria-label="Main"] a[href^="/"]'), function (a) {
    var href = a.getAttribute("href");
    var here = location.pathname === href || (href !== "/" && location.pathname.indexOf(href) === 0);
    if (here && (!best || href.length > best.getAttribute("href").length)) best = a;
  });
  if (best) best.setAttribute("aria-current", "page");
})();
