/* Times in the viewer's timezone. The server writes <time datetime="2026-12-01T03:12:00Z" data-local>…UTC</time>
 * (portal/templatetags/portal_time.py); this turns each into the browser's local time, now and whenever a
 * script adds more. Scripts that write times themselves use portalTime.element(iso) or portalTime.text(iso).
 */
(function () {
  "use strict";

  var formatter = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    timeZoneName: "short"
  });

  function text(iso) {
    var at = new Date(iso);
    return isNaN(at.getTime()) ? iso : formatter.format(at);
  }

  function localise(root) {
    var found = (root || document).querySelectorAll("time[datetime][data-local]");
    Array.prototype.forEach.call(found, function (el) {
      el.textContent = text(el.getAttribute("datetime"));
      el.title = el.getAttribute("datetime");
      el.removeAttribute("data-local");
    });
  }

  function element(iso) {
    var el = document.createElement("time");
    el.setAttribute("datetime", iso);
    el.textContent = text(iso);
    el.title = iso;
    return el;
  }

  window.portalTime = { text: text, element: element, localise: localise };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { localise(); });
  } else {
    localise();
  }
})();
