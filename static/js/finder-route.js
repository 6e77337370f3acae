// The finder's route search for drivers (#route-search): a start and an end (a place name,
// or a tap on the map) or a pasted route (an Amap/Baidu link or an encoded polyline, read
// by POST /api/v1/route-text), then the stations along it (POST /api/v1/along-route) in
// driving order, drawn on the map. Text from data goes in through textContent only.
(function (locator) {
  "use strict";
  var DEBOUNCE_MS = 250;

  // cfg is the finder's config (kinds, nav labels, text); map is its Leaflet map.
  // Returns {pick(lat, lon)}: true when a map tap was taken as a start or an end.
  function routeSearch(cfg, map) {
    var configEl = document.getElementById("route-config");
    var form = document.getElementById("route-form");
    if (!configEl || !form) { return { pick: function () { return false; } }; }
    var rc = JSON.parse(configEl.textContent);
    var T = rc.text;
    var el = locator.el, add = locator.add, fill = locator.fill;
    var panel = document.getElementById("route-search");
    var status = document.getElementById("route-status");
    var note = document.getElementById("route-note");
    var heading = document.getElementById("route-results-heading");
    var list = document.getElementById("route-results");
    var paste = document.getElementById("route-paste");
    var layer = L.layerGroup().addTo(map);
    var ends = { start: null, end: null };  // {lat, lon, label}
    var endMarkers = { start: null, end: null };
    var picking = null;

    function km(m) { return locator.distanceText(m, cfg.text); }
    function say(text) { status.textContent = text; }

    function postJson(url, body) {
      return locator.getJson(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                    body: JSON.stringify(body) });
    }

    // --- start and end -------------------------------------------------------------------
    function setEnd(which, lat, lon, label) {
      ends[which] = { lat: lat, lon: lon, label: label };
      document.getElementById("route-" + which).value = label;
      if (endMarkers[which]) { endMarkers[which].remove(); }
      endMarkers[which] = L.circleMarker([lat, lon], {
        radius: 8, weight: 3, color: "#1a1a1a", fillColor: which === "start" ? "#2a9d4b" : "#c0392b",
        fillOpacity: 1, bubblingMouseEvents: false
      }).bindTooltip(el("span", "", T[which] + ": " + label)).addTo(map);
    }

    function showPlaces(which, places) {
      var box = document.getElementById("route-" + which + "-places");
      box.textContent = "";
      if (places === null) { return; }
      if (!places.length) { add(box, "li", "none", T.no_places); return; }
      places.forEach(function (p) {
        var b = add(add(box, "li"), "button", "place", p.name);
        b.type = "button";
        if (p.name_latin && p.name_latin !== p.name) { add(b, "span", "latin", " " + p.name_latin); }
        if (p.kind === "place") { add(b, "span", "district", " · " + p.district); }
        b.addEventListener("click", function () {
          setEnd(which, p.lat, p.lon, p.name);
          showPlaces(which, null);
        });
      });
    }

    ["start", "end"].forEach(function (which) {
      var input = document.getElementById("route-" + which);
      var timer = null;
      input.addEventListener("input", function () {
        ends[which] = null;
        clearTimeout(timer);
        var q = input.value.trim();
        if (!q) { showPlaces(which, null); return; }
        timer = setTimeout(function () {
          locator.getJson(rc.urls.places + "?q=" + encodeURIComponent(q) + "&limit=8")
            .then(function (body) { if (input.value.trim() === q) { showPlaces(which, body.places); } })
            .catch(function (err) { say(fill(T.error, { error: err.message })); });
        }, DEBOUNCE_MS);
      });
    });

    form.addEventListener("click", function (event) {
      var b = event.target.closest("[data-pick]");
      if (!b) { return; }
      picking = b.dataset.pick;
      say(T["pick_" + picking]);
      map.getContainer().scrollIntoView({ block: "nearest" });
    });

    function pick(lat, lon) {
      if (!picking) { return false; }
      var label = T.map_point + " " + lat.toFixed(4) + ", " + lon.toFixed(4);
      setEnd(picking, lat, lon, label);
      picking = null;
      say("");
      return true;
    }

    // --- the search ----------------------------------------------------------------------
    function route() {  // a promise of {coordinates: [[lon, lat], ...], straight}
      var text = paste.value.trim();
      if (text) {
        return postJson(rc.urls.text, { text: text }).then(function (f) {
          return { coordinates: f.geometry.coordinates, straight: f.properties.straight };
        });
      }
      if (ends.start && ends.end) {
        return Promise.resolve({ coordinates: [[ends.start.lon, ends.start.lat],
                                               [ends.end.lon, ends.end.lat]], straight: true });
      }
      return Promise.reject(new Error(T.choose));
    }

    function resultItem(f, n) {
      var p = f.properties;
      var li = el("li", "result");
      li.dataset.id = p.id;
      var h = add(li, "h3");
      add(h, "span", "order", n + ". ");
      add(h, "a", "", p.name).href = locator.finderUrl.stationUrl(cfg, p.id);
      var line = add(li, "p", "meta");
      add(line, "span", "distance along", fill(T.along, { along: km(p.along_m) }));
      line.appendChild(document.createTextNode(" · "));
      add(line, "span", "detour", fill(T.detour, { detour: km(2 * p.offset_m) }));
      add(li, "p", "meta kind", cfg.kinds[p.kind] || p.kind);
      var actions = add(li, "div", "actions");
      actions.setAttribute("role", "group");
      actions.setAttribute("aria-label", cfg.text.navigate + ": " + p.name);
      cfg.nav.forEach(function (pair) {
        var url = p.links && p.links[pair[0]];
        if (!url || url.indexOf("https://") !== 0) { return; }
        var a = add(actions, "a", "button nav", pair[1]);
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.dataset.app = pair[0];
      });
      return li;
    }

    function draw(r, fc) {
      layer.clearLayers();
      var line = L.polyline(r.coordinates.map(function (c) { return [c[1], c[0]]; }), {
        color: "#0b4f6c", weight: 5, opacity: 0.8, dashArray: r.straight ? "8 8" : null,
        interactive: false
      }).addTo(layer);
      fc.features.forEach(function (f, i) {
        var c = f.geometry.coordinates;
        L.circleMarker([c[1], c[0]], { radius: 9, weight: 2, color: "#1a1a1a", fillOpacity: 1,
                                       fillColor: locator.stationColour(f.properties.kind),
                                       bubblingMouseEvents: false })
          .bindTooltip(el("span", "", (i + 1) + ". " + f.properties.name)).addTo(layer);
      });
      map.fitBounds(line.getBounds().pad(0.1), { animate: false });
    }

    function show(r, fc, corridorM) {
      list.textContent = "";
      fc.features.forEach(function (f, i) { list.appendChild(resultItem(f, i + 1)); });
      var values = { n: fc.numberMatched, corridor: km(corridorM), length: km(fc.route_length_m) };
      say(fill(fc.numberMatched ? T.count : T.none, values));
      note.textContent = r.straight ? T.straight : T.road;
      list.dataset.state = "done";
      list.removeAttribute("aria-busy");
      heading.hidden = false;
      draw(r, fc);
      heading.focus({ preventScroll: true });
      status.scrollIntoView({ block: "start" });  // the count, then the list
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var corridorM = Number(document.getElementById("route-corridor").value);
      var kind = document.getElementById("route-kind").value;
      list.dataset.state = "loading";
      list.setAttribute("aria-busy", "true");
      say(T.searching);
      route().then(function (r) {
        var body = { route: { type: "LineString", coordinates: r.coordinates },
                     corridor_m: corridorM, limit: 100 };
        if (kind) { body.kind = kind; }
        return postJson(rc.urls.along, body).then(function (fc) { show(r, fc, corridorM); });
      }).catch(function (err) {
        list.dataset.state = "error";
        list.removeAttribute("aria-busy");
        say(err.message === T.choose ? T.choose : fill(T.error, { error: err.message }));
      });
    });

    panel.addEventListener("toggle", function () { if (!panel.open) { picking = null; } });
    return { pick: pick };
  }

  locator.finderRoute = { routeSearch: routeSearch };
})(window.locator = window.locator || {});
