// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#selector">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value || source.textContent;
    navigator.clipboard.writeText(text.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // "Select all" checkboxes: <input type="checkbox" data-select-all="name-of-row-boxes">.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) return;
    var name = all.getAttribute("data-select-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // Back and forward fetch the page again (no history cache) without the body's hx-headers; the page's nonce goes
  // along, so the restored content's <style> and <script> match this document's policy (app/web/csp.py).
  document.addEventListener("htmx:historyCacheMiss", function (event) {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    if (headers["X-Tessera-Nonce"]) event.detail.xhr.setRequestHeader("X-Tessera-Nonce", headers["X-Tessera-Nonce"]);
  });

  // Confirmation for dangerous buttons without inline script: <button data-confirm="Really?">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
