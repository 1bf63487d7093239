/* The local-list panel of the charger page: its two buttons POST to the API with the browser's session and CSRF
 * token (a resync of the list, or a ClearCache command) and say what the portal answered. */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-local-list]"), function (panel) {
    var result = panel.querySelector('[data-ll="result"]');
    Array.prototype.forEach.call(panel.querySelectorAll("[data-ll-post]"), function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        var body = button.getAttribute("data-ll-body");
        fetch(button.getAttribute("data-ll-post"), {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json", "Content-Type": "application/json" },
          body: body || null
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (answer) {
            if (!response.ok) throw new Error(JSON.stringify(answer) || ("HTTP " + response.status));
            return answer;
          });
        }).then(function (answer) {
          if (answer.pending) {  // the resync answers with the list's state: show what is now pending
            var pending = panel.querySelector('[data-ll="pending"]');
            if (pending) pending.textContent = "a Full update" + (answer.pending.commands ? "" : ", when the charger is online");
          }
          result.textContent = answer.action ? answer.action + " queued (command " + answer.id + ", " + answer.status + ")"
            : "A Full update of the whole list is on its way.";
        }).catch(function (e) {
          result.textContent = "Not done: " + e.message;
        }).then(function () {
          result.hidden = false;
          button.disabled = false;
        });
      });
    });
  });
})();
