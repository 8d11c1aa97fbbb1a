// Hotline pages: fill the dispatch fields from a suggestion, take an answer from the knowledge
// base, and fill coordinates from the browser's location. Every page works without JavaScript.
(function () {
  "use strict";

  function setSelect(select, value) {
    if (!select) { return false; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { select.value = value; return true; }
    }
    return false;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-fill-department], [data-use-article]");
    if (!target) { return; }
    if (target.hasAttribute("data-fill-department")) {
      var form = target.getAttribute("data-form") ? document.getElementById(target.getAttribute("data-form"))
        : target.closest("form") || document;
      var dept = form.querySelector("select[name=department]");
      var cat = form.querySelector("select[name=category]");
      setSelect(dept, target.getAttribute("data-fill-department"));
      setSelect(cat, target.getAttribute("data-fill-category"));
      if (dept) { dept.focus(); }
    } else {
      var answer = document.querySelector("textarea[name=answer]");
      var article = document.querySelector("input[name=article_id]");
      var consult = document.querySelector("input[name=kind][value=consult]");
      if (answer) { answer.value = target.getAttribute("data-answer"); answer.focus(); }
      if (article) { article.value = target.getAttribute("data-use-article"); }
      if (consult) { consult.checked = true; }
    }
  });

  function geolocate(button) {
    var lat = document.querySelector(button.getAttribute("data-lat"));
    var lng = document.querySelector(button.getAttribute("data-lng"));
    var status = document.querySelector(button.getAttribute("data-status"));
    function say(text) { if (status) { status.textContent = text; } }
    if (!navigator.geolocation) { say("此浏览器不支持定位，请手工填写经纬度。"); return; }
    say("正在定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
      say("已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）。");
      lat.dispatchEvent(new Event("change", { bubbles: true }));
    }, function (err) {
      say("定位失败：" + (err.code === 1 ? "未允许使用位置信息" : "无法获取位置") + "，请手工填写经纬度。");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-geolocate]");
    if (button) { event.preventDefault(); geolocate(button); }
  });

  // Show the resolution fields of a grid report only when "resolved on site" is ticked.
  function toggleResolved() {
    var box = document.getElementById("id_resolved");
    document.querySelectorAll("[data-when-resolved]").forEach(function (el) {
      el.hidden = box ? !box.checked : false;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_resolved") { toggleResolved(); }
  });
  document.addEventListener("DOMContentLoaded", toggleResolved);
})();
