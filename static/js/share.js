/* "Share a live link" on the charger page: asks the API for a signed link of the session
 * (POST /api/v1/transactions/<id>/share/, the browser's session and CSRF token) and shows it with its QR code. */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-share]"), function (box) {
    var button = box.querySelector("[data-share-button]");
    var result = box.querySelector("[data-share-result]");
    var error = box.querySelector("[data-share-error]");
    button.addEventListener("click", function () {
      button.disabled = true;
      error.hidden = true;
      fetch(box.getAttribute("data-share"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) throw new Error("the portal answered " + response.status);
        return response.json();
      }).then(function (link) {
        var input = result.querySelector("[data-share-url]");
        input.value = link.url;
        result.querySelector("[data-share-expires]").textContent = new Date(link.expires_at).toLocaleString();
        // The QR code of the link, served beside the link's page.
        result.querySelector("img").src = new URL(link.url).pathname + "qr.svg";
        result.hidden = false;
        input.select();
      }).catch(function (e) {
        error.textContent = "No link: " + e.message;
        error.hidden = false;
      }).then(function () {
        button.disabled = false;
      });
    });
  });
})();
