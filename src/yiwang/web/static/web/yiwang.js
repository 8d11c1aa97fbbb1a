// Small progressive enhancements; every page works without JavaScript.
// Loaded from our own origin (Content-Security-Policy: script-src 'self'); no inline handlers.
(function () {
  "use strict";

  // GOV.UK error summary: move focus to it so screen-reader users hear it first, and make its
  // links focus the field (not just scroll to it), with the field's label in view.
  function focusErrorSummary(root) {
    var summary = root.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var input = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!input) { return; }
    event.preventDefault();
    var label = document.querySelector("label[for='" + input.id + "']") || input.closest("fieldset");
    (label || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });

  // Citizen login: show only the fields of the chosen method (password or SMS code). Without
  // JavaScript both are shown and the server uses the chosen one.
  function setupLoginMethod(form) {
    var radios = form.querySelectorAll("input[name=method]");
    if (!radios.length) { return; }
    function update() {
      var chosen = form.querySelector("input[name=method]:checked");
      var method = chosen ? chosen.value : "password";
      form.querySelectorAll("[data-method]").forEach(function (group) {
        group.hidden = group.getAttribute("data-method") !== method;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
    document.querySelectorAll("form[data-login-method]").forEach(setupLoginMethod);
  });
})();
