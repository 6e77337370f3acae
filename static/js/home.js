// Home map: every station as a canvas circle marker (no per-marker HTML).
// Popups are built with textContent, so names from data files are never parsed as HTML.
(function () {
  "use strict";
  var el = document.getElementById("map");
  // A 4 px dot is too small to tap on a phone: the canvas renderer gives markers extra hit area.
  var map = L.map(el, { renderer: L.canvas({ tolerance: 6 }) }).setView([39.9, 116.4], 9);
  if (el.dataset.tiles === "osm") {
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    }).addTo(map);
  }
  L.control.scale().addTo(map);
  var colours = { warm_heart: "#d94801", driver_home: "#2171b5" };

  function line(parent, tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  function popup(props) {
    var box = document.createElement("div");
    box.className = "popup";
    line(box, "h2", props.name);
    line(box, "p", props.address || "");
    var yes = Object.keys(props.amenities).filter(function (k) { return props.amenities[k] === "yes"; });
    line(box, "p", yes.join(", "));
    var link = line(box, "a", "详情 / details");
    link.href = "/api/v1/stations/" + encodeURIComponent(props.id);
    return box;
  }

  fetch(el.dataset.stationsUrl)
    .then(function (r) {
      if (!r.ok) { throw new Error("stations request failed: HTTP " + r.status); }
      return r.json();
    })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 4, weight: 1, color: "#fff", fillOpacity: 0.85,
                                          fillColor: colours[f.properties.kind] || "#555" });
        },
        onEachFeature: function (f, lyr) {
          lyr.bindPopup(function () { return popup(f.properties); });
          lyr.bindTooltip(function () { var s = document.createElement("span"); s.textContent = f.properties.name; return s; });
        }
      }).addTo(map);
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 14, animate: false }); }
      el.dataset.loaded = String(fc.features.length);
    })
    .catch(function (err) {
      el.dataset.error = err.message;
      console.error(err);
    });
})();
