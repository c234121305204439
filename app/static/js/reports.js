/* Report page: draws the charts (Chart.js) and the map (Leaflet) from the JSON
 * block #report-data. Both libraries are served by the app (static/vendor/).
 * Every chart has a table of the same figures next to it, so the page works
 * without JavaScript and for screen readers; this file only adds pictures. */
(function () {
  "use strict";

  var dataBlock = document.getElementById("report-data");
  if (!dataBlock) { return; }
  var data;
  try {
    data = JSON.parse(dataBlock.textContent || "{}");
  } catch (e) {
    return;
  }
  var lang = document.documentElement.lang || "fi";
  // Colours with at least 3:1 contrast against white (WCAG 1.4.11).
  var PALETTE = ["#1d5e3a", "#b3470f", "#2f5f8f", "#7a4c9a", "#8a6d00", "#a4161a"];

  function drawCharts() {
    if (!window.Chart) { return; }
    var Chart = window.Chart;
    Chart.defaults.font.size = 14;
    Chart.defaults.color = "#1a1a1a";
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    var charts = data.charts || {};
    window.reportCharts = window.reportCharts || {};
    var boxes = document.querySelectorAll(".report-chart[data-chart]");
    Array.prototype.forEach.call(boxes, function (box) {
      var key = box.getAttribute("data-chart");
      var spec = charts[key];
      var canvas = box.querySelector("canvas");
      if (!spec || !canvas) { return; }
      box.hidden = false;
      var doughnut = spec.type === "doughnut";
      var datasets = spec.datasets.map(function (set, i) {
        var colour = PALETTE[i % PALETTE.length];
        return {
          label: set.label,
          data: set.data,
          backgroundColor: doughnut ? spec.labels.map(function (_, j) { return PALETTE[j % PALETTE.length]; }) : colour,
          borderColor: doughnut ? "#ffffff" : colour,
          borderWidth: doughnut ? 2 : 0
        };
      });
      var options = {
        responsive: true,
        maintainAspectRatio: false,
        locale: lang,
        plugins: { legend: { position: "bottom" } }
      };
      if (!doughnut) {
        var valueAxis = {
          beginAtZero: true,
          stacked: spec.stacked,
          ticks: { precision: 0 }
        };
        if (spec.percent) {
          valueAxis.ticks.callback = function (value) { return value + " %"; };
        }
        var labelAxis = { stacked: spec.stacked, ticks: { autoSkip: false } };
        options.indexAxis = spec.horizontal ? "y" : "x";
        options.scales = spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
      }
      window.reportCharts[key] = new Chart(canvas, {
        type: doughnut ? "doughnut" : "bar",
        data: { labels: spec.labels, datasets: datasets },
        options: options
      });
    });
  }

  function countIcon(kind, count) {
    var size = Math.round(Math.min(26 + Math.sqrt(count) * 6, 64));
    return window.L.divIcon({
      className: "map-count map-count-" + kind,
      html: String(count),
      iconSize: [size, size],
      // Requests sit left of the village centre, helpers right of it.
      iconAnchor: kind === "requests" ? [size, size / 2] : [0, size / 2]
    });
  }

  function drawMap() {
    var box = document.getElementById("report-map");
    var map = data.map;
    if (!box || !map || !window.L) { return; }
    var L = window.L;
    box.textContent = "";
    var leaflet = L.map(box, { scrollWheelZoom: false, zoomSnap: 0.5 });
    if (map.tiles) {
      L.tileLayer(map.tiles, { attribution: map.attribution || "", maxZoom: 18 }).addTo(leaflet);
    } else {
      box.classList.add("no-tiles");
    }
    var bounds = [];
    window.reportMarkers = [];
    (map.points || []).forEach(function (point) {
      var where = [point.lat, point.lon];
      var place = point.label === point.municipality ? point.label : point.label + " (" + point.municipality + ")";
      [["requests", point.requests], ["helpers", point.helpers]].forEach(function (pair) {
        if (!pair[1]) { return; }
        var text = place + ": " + pair[1] + " " + (map.text[pair[0]] || pair[0]).toLowerCase();
        var marker = L.marker(where, {
          icon: countIcon(pair[0], pair[1]),
          title: text,
          alt: text,
          keyboard: true
        }).addTo(leaflet);
        window.reportMarkers.push(marker);
      });
      bounds.push(where);
    });
    if (bounds.length > 1) {
      leaflet.fitBounds(bounds, { padding: [40, 40], maxZoom: 11 });
    } else if (bounds.length === 1) {
      leaflet.setView(bounds[0], 10);
    } else {
      leaflet.setView([64.2, 28.2], 7); // Kainuu
    }
    window.reportMap = leaflet;
  }

  drawCharts();
  drawMap();
})();
