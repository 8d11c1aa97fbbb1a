// The map of grids and work orders: Leaflet with vector layers only (no online tiles), drawn from
// /api/v1/grid/grids (the session authenticates), optionally coloured by the number of orders per
// grid (heat) and with the orders themselves as circles.
(function () {
  "use strict";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + " → " + r.status); }
      return r.json();
    });
  }

  var HEAT = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603"];

  function heatColour(intensity) {
    if (!intensity) { return "#ffffff"; }
    return HEAT[Math.min(HEAT.length - 1, Math.floor(intensity * HEAT.length))];
  }

  function escapeText(s) {
    var div = document.createElement("div");
    div.textContent = s == null ? "" : String(s);
    return div.innerHTML;
  }

  function draw(el) {
    var modes = (el.getAttribute("data-mode") || "").split(/\s+/);
    var status = document.getElementById("map-status");
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, preferCanvas: true });
    el.leafletMap = map;
    getJSON("/api/v1/grid/grids").then(function (fc) {
      var grids = L.geoJSON(fc, {
        style: function (f) {
          return { color: "#505a5f", weight: 1, fillColor: f.properties.mine ? "#cce2d8" : "#ffffff", fillOpacity: 0.6 };
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(escapeText(f.properties.name) + "<br>" + escapeText(f.properties.street + " " + f.properties.community));
        }
      }).addTo(map);
      if (fc.street_outlines) {
        Object.keys(fc.street_outlines).forEach(function (code) {
          L.geoJSON(fc.street_outlines[code], { style: { color: "#1d70b8", weight: 2 }, interactive: false }).addTo(map);
        });
        el.setAttribute("data-street-outlines", String(Object.keys(fc.street_outlines).length));
      }
      if (fc.district_outline) {
        var outline = L.geoJSON(fc.district_outline, { style: { color: "#0b0c0c", weight: 3 }, interactive: false });
        outline.addTo(map);
        // what was drawn, for the browser tests: the outline's segments
        el.setAttribute("data-outline", String(fc.district_outline.coordinates.length));
      }
      map.fitBounds(grids.getBounds(), { padding: [10, 10] });
      el.setAttribute("data-grids", String(fc.features.length));
      if (modes.indexOf("heat") >= 0) {
        getJSON("/api/v1/hotline/analytics/heat").then(function (heat) {
          var byCode = {};
          heat.features.forEach(function (f) { byCode[f.properties.code] = f.properties; });
          grids.eachLayer(function (layer) {
            var p = byCode[layer.feature.properties.code] || { count: 0, intensity: 0 };
            layer.setStyle({ fillColor: heatColour(p.intensity), fillOpacity: 0.75 });
            layer.setTooltipContent(escapeText(layer.feature.properties.name) + "：" + p.count + " 件");
          });
          var legend = L.control({ position: "bottomright" });
          legend.onAdd = function () {
            // built with the DOM and CSSOM: inline style attributes would break the page's CSP
            var div = L.DomUtil.create("div", "map-legend");
            div.appendChild(document.createTextNode("工单量（最多 " + heat.max + " 件）"));
            HEAT.forEach(function (c, i) {
              div.appendChild(document.createElement("br"));
              var swatch = document.createElement("i");
              swatch.style.background = c;
              div.appendChild(swatch);
              div.appendChild(document.createTextNode(Math.round(heat.max * i / HEAT.length) + "+"));
            });
            return div;
          };
          legend.addTo(map);
          el.setAttribute("data-heat", "1");
        });
      }
      if (modes.indexOf("orders") >= 0 && el.getAttribute("data-orders")) {
        getJSON(el.getAttribute("data-orders")).then(function (data) {
          var open = ["new", "dispatched", "returned", "in_progress", "replied", "escalated"];
          data.orders.forEach(function (o) {
            var isOpen = open.indexOf(o.status) >= 0;
            L.circleMarker([o.lat, o.lng], {
              radius: isOpen ? 5 : 3, color: isOpen ? "#d4351c" : "#6f777b", weight: 1,
              fillOpacity: isOpen ? 0.8 : 0.4
            }).bindPopup("<a href=\"/hotline/orders/" + encodeURIComponent(o.number) + "/\">" + escapeText(o.number) +
              "</a><br>" + escapeText(o.title) + "<br>" + escapeText(o.status_label)).addTo(map);
          });
          el.setAttribute("data-orders-drawn", String(data.orders.length));
          if (status) { status.textContent = "已显示 " + fc.features.length + " 个网格、" + data.orders.length + " 件工单。"; }
        });
      }
    }).catch(function (err) {
      if (status) { status.textContent = "地图数据加载失败：" + err.message; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(draw);
  });
})();
