// The case's process model (BPMN 2.0), drawn read-only with bpmn-js; the current task is outlined,
// finished tasks filled. Loaded only on case pages that have a process; the page says the same in
// words ("当前环节", "办理过程"), so the diagram is an addition, not the only source.
(function () {
  "use strict";

  function ids(el, name) {
    return (el.getAttribute(name) || "").split(",").filter(function (x) { return x; });
  }

  function fail(el, text) {
    el.setAttribute("data-ready", "error");
    var p = document.createElement("p");
    p.className = "hint process-fallback";
    p.textContent = text;
    el.textContent = "";
    el.appendChild(p);
  }

  function draw(el) {
    var message = el.getAttribute("data-error") || "";
    if (typeof window.BpmnJS !== "function") { return fail(el, message); }
    fetch(el.getAttribute("data-bpmn-url"), { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) {
        el.textContent = "";
        var viewer = new window.BpmnJS({ container: el });
        return viewer.importXML(xml).then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          canvas.zoom("fit-viewport", "auto");
          ids(el, "data-done").forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "yw-done"); } });
          ids(el, "data-current").forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "yw-current"); } });
          el.setAttribute("data-ready", "true");
        });
      })
      .catch(function () { fail(el, message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-bpmn-url]").forEach(draw);
  });
})();
