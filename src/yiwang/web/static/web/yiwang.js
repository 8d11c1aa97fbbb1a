// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary so screen-reader users hear it first (GOV.UK pattern).
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});
