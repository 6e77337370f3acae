// The station finder (/) and the small map on a station's page (/stations/<id>).
// Everything from data files reaches the page through textContent or attribute setters,
// never as HTML. The position and the filters live in the URL, so a view can be shared.
(function () {
  "use strict";
  var el = LocatorDom.el, add = LocatorDom.add, fill = LocatorDom.fill;
  var COLOURS = { warm_heart: "#d94801", driver_home: "#2171b5" };
  var ICONS = {
    shower: "🚿", hot_water_24h: "♨️", toilet: "🚻", microwave: "🍲", phone_charging: "🔌",
    ebike_charging: "🛵", laundry: "🧺", truck_parking: "🚚", food: "🍜", lockers: "🔐",
    drinking_water: "🚰", rest_area: "🪑", wifi: "📶", first_aid: "🩹", air_conditioning: "❄️"
  };
  var OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
  var OSM_CREDIT = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';

  function addTiles(map, on) {
    if (on) { L.tileLayer(OSM, { maxZoom: 19, attribution: OSM_CREDIT }).addTo(map); }
    L.control.scale().addTo(map);
  }

  var stationMapEl = document.getElementById("station-map");
  if (stationMapEl) { stationPage(stationMapEl); }
  var configEl = document.getElementById("finder-config");
  if (configEl) { finder(JSON.parse(configEl.textContent)); }

  function stationPage(box) {
    var at = [Number(box.dataset.lat), Number(box.dataset.lon)];
    var map = L.map(box, { renderer: L.canvas(), scrollWheelZoom: false }).setView(at, 15);
    addTiles(map, box.dataset.tiles === "osm");
    L.circleMarker(at, { radius: 9, weight: 2, color: "#1a1a1a", fillOpacity: 1,
                         fillColor: COLOURS[box.dataset.kind] || "#555" }).addTo(map);
    box.dataset.loaded = "1";
  }

  function finder(cfg) {
    var T = cfg.text;
    var LABELS = {};  // amenity key -> label; cfg.amenities is [key, label] pairs in order
    cfg.amenities.forEach(function (pair) { LABELS[pair[0]] = pair[1]; });
    var mapEl = document.getElementById("map");
    var list = document.getElementById("results");
    var count = document.getElementById("result-count");
    var status = document.getElementById("locate-status");
    var district = document.getElementById("district");
    var more = document.getElementById("more");
    var morePanel = document.getElementById("more-amenities");
    var state = readUrl();
    var searchSeq = 0;
    var resultMarkers = {};

    // A 4 px dot is too small to tap on a phone: the canvas renderer gives markers extra hit area.
    // One first view (a second setView would animate, and a zoom animation that ends after
    // the results arrive would undo their fitBounds).
    var map = L.map(mapEl, { renderer: L.canvas({ tolerance: 6 }) }).setView(
      state.lat === null ? [39.9, 116.4] : [state.lat, state.lon], state.lat === null ? 10 : 14);
    addTiles(map, cfg.tiles);
    var resultLayer = L.layerGroup().addTo(map);
    var hereMarker = null;

    // --- state <-> URL ---------------------------------------------------------------
    function readUrl() {
      var q = new URLSearchParams(window.location.search);
      var lat = parseFloat(q.get("lat")), lon = parseFloat(q.get("lon"));
      var ok = isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
      var kind = q.get("kind") || "";
      return {
        lat: ok ? lat : null,
        lon: ok ? lon : null,
        kind: kind in cfg.kinds ? kind : "",
        amenities: (q.get("amenities") || "").split(",").filter(function (k, i, all) {
          return k in LABELS && all.indexOf(k) === i;
        }),
        open: q.get("open") === "now",
        unknown: q.get("unknown") === "1"
      };
    }

    function pageQuery() {
      var q = new URLSearchParams(window.location.search);
      var values = {
        lat: state.lat === null ? "" : state.lat.toFixed(5),
        lon: state.lon === null ? "" : state.lon.toFixed(5),
        kind: state.kind,
        amenities: state.amenities.join(","),
        open: state.open ? "now" : "",
        unknown: state.unknown ? "1" : ""
      };
      Object.keys(values).forEach(function (key) {
        if (values[key]) { q.set(key, values[key]); } else { q.delete(key); }
      });
      return q;
    }

    function writeUrl() {
      var q = pageQuery();
      var search = q.toString();
      history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
      var other = document.getElementById("lang-switch");
      if (other) {
        var switched = new URL(other.href, window.location.href);
        q.set("lang", switched.searchParams.get("lang"));
        other.href = window.location.pathname + "?" + q.toString();
      }
    }

    function stationUrl(id) {  // the station's page, in this page's language and tiles
      var here = new URLSearchParams(window.location.search), q = new URLSearchParams();
      ["lang", "tiles"].forEach(function (key) { if (here.get(key)) { q.set(key, here.get(key)); } });
      var url = cfg.urls.station.replace("__id__", encodeURIComponent(id));
      return q.toString() ? url + "?" + q.toString() : url;
    }

    // --- controls ----------------------------------------------------------------------
    function showState() {
      document.querySelectorAll("[data-kind]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.dataset.kind === state.kind));
      });
      document.querySelectorAll("[data-amenity]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(state.amenities.indexOf(b.dataset.amenity) >= 0));
      });
      document.querySelectorAll("[data-option]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(state[b.dataset.option]));
      });
    }

    function toggleMore(open) {
      morePanel.hidden = !open;
      more.setAttribute("aria-expanded", String(open));
    }

    function changed() {
      showState();
      writeUrl();
      search();
    }

    document.querySelector(".filters").addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b) { return; }
      if (b === more) { toggleMore(morePanel.hidden); return; }
      if (b.dataset.kind !== undefined) {
        state.kind = b.dataset.kind;
      } else if (b.dataset.amenity) {
        var i = state.amenities.indexOf(b.dataset.amenity);
        if (i >= 0) { state.amenities.splice(i, 1); } else { state.amenities.push(b.dataset.amenity); }
      } else if (b.dataset.option) {
        state[b.dataset.option] = !state[b.dataset.option];
      } else {
        return;
      }
      changed();
    });

    function setPosition(lat, lon) {
      state.lat = lat;
      state.lon = lon;
      drawHere();
      changed();
    }

    function drawHere() {
      if (hereMarker) { hereMarker.remove(); }
      hereMarker = L.circleMarker([state.lat, state.lon], {
        radius: 7, weight: 4, color: "#1a1a1a", fillColor: "#fff", fillOpacity: 1, bubblingMouseEvents: false
      }).bindTooltip(el("span", "", T.you_are_here)).addTo(map);
    }

    function say(text) { status.textContent = text; }

    function locate() {
      if (!navigator.geolocation) { say(T.geo_unavailable); return; }
      say(T.locating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        say("");
        district.value = "";
        setPosition(pos.coords.latitude, pos.coords.longitude);
      }, function (err) {
        say(err.code === 1 ? T.geo_denied : T.geo_unavailable);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }

    document.getElementById("locate").addEventListener("click", locate);
    district.addEventListener("change", function () {
      var point = cfg.districts[district.value];
      if (point) { say(""); setPosition(point[0], point[1]); }
    });
    map.on("click", function (e) { say(""); district.value = ""; setPosition(e.latlng.lat, e.latlng.lng); });

    // --- search and results ------------------------------------------------------------
    function apiQuery() {
      var q = new URLSearchParams({ lat: String(state.lat), lon: String(state.lon), k: "10" });
      if (state.kind) { q.set("kind", state.kind); }
      if (state.amenities.length) { q.set("amenities", state.amenities.join(",")); }
      if (state.unknown) { q.set("include_unknown", "true"); }
      if (state.open) { q.set("open_at", "now"); }
      return q.toString();
    }

    function search() {
      if (state.lat === null) { return; }
      var query = apiQuery();
      var seq = ++searchSeq;
      list.dataset.state = "loading";
      list.setAttribute("aria-busy", "true");
      count.textContent = T.searching;
      fetch(cfg.urls.nearest + "?" + query)
        .then(function (r) {
          if (!r.ok) { throw new Error("nearest request failed: HTTP " + r.status); }
          return r.json();
        })
        .then(function (fc) { if (seq === searchSeq) { showResults(fc, query); } })
        .catch(function (err) {
          if (seq !== searchSeq) { return; }
          list.dataset.state = "error";
          list.removeAttribute("aria-busy");
          count.textContent = T.error;
          console.error(err);
        });
    }

    function distanceText(m) {
      if (m < 1000) { return fill(T.metres, { n: Math.round(m) }); }
      return fill(T.kilometres, { n: m < 10000 ? (m / 1000).toFixed(1) : Math.round(m / 1000) });
    }

    function etaText(p) {
      var mode = p.kind === "driver_home" ? "truck" : "ebike";
      var minutes = Math.max(1, Math.round(p.estimates[mode].minutes));
      return fill(T[mode], { min: minutes });
    }

    function amenityTags(parent, amenities) {
      var yes = cfg.amenities.map(function (pair) { return pair[0]; })
        .filter(function (k) { return amenities[k] === "yes"; });
      if (!yes.length) { return; }
      var tags = add(parent, "ul", "tags");
      tags.setAttribute("aria-label", T.amenities);
      yes.slice(0, 8).forEach(function (key) {
        var tag = add(tags, "li");
        tag.dataset.amenity = key;
        add(tag, "span", "icon", (ICONS[key] || "✓") + " ").setAttribute("aria-hidden", "true");
        tag.appendChild(document.createTextNode(LABELS[key]));
      });
      if (yes.length > 8) { add(tags, "li", "", fill(T.more_amenities, { n: yes.length - 8 })); }
    }

    function navButtons(parent, links) {
      cfg.nav.forEach(function (pair) {
        var app = pair[0], url = links[app];
        if (!url || url.indexOf("https://") !== 0) { return; }
        var a = add(parent, "a", "button nav", pair[1]);
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.dataset.app = app;
      });
    }

    function resultItem(f) {
      var p = f.properties;
      var li = el("li", "result");
      li.dataset.id = p.id;
      var link = add(add(li, "h3"), "a", "", p.name);
      link.href = stationUrl(p.id);
      var line = add(li, "p", "meta");
      add(line, "span", "distance", distanceText(p.distance_m));
      line.appendChild(document.createTextNode(" · "));
      add(line, "span", "eta", etaText(p));
      line = add(li, "p", "meta");
      add(line, "span", "kind", cfg.kinds[p.kind] || p.kind);
      line.appendChild(document.createTextNode(" · "));
      add(line, "span", "open open-" + p.open_now, T["open_" + p.open_now] || T.open_unknown);
      if (p.address) { add(li, "p", "address", p.address); }
      amenityTags(li, p.amenities);
      var actions = add(li, "div", "actions");
      actions.setAttribute("role", "group");
      actions.setAttribute("aria-label", T.navigate + ": " + p.name);
      var show = add(actions, "button", "show", T.show_on_map);
      show.type = "button";
      show.addEventListener("click", function () { showOnMap(p.id); });
      navButtons(actions, p.links);
      return li;
    }

    function popup(p) {
      var box = el("div", "popup");
      add(box, "h3", "", p.name);
      add(box, "p", "", cfg.kinds[p.kind] || p.kind);
      if (p.distance_m !== undefined) {
        add(box, "p", "", distanceText(p.distance_m) + " · " + (T["open_" + p.open_now] || T.open_unknown));
      }
      add(box, "a", "", T.details).href = stationUrl(p.id);
      return box;
    }

    function showResults(fc, query) {
      list.textContent = "";
      resultLayer.clearLayers();
      resultMarkers = {};
      var bounds = L.latLngBounds([[state.lat, state.lon]]);
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates;  // GeoJSON order: [lon, lat]
        var marker = L.circleMarker([c[1], c[0]], {
          radius: 9, weight: 2, color: "#1a1a1a", fillOpacity: 1, bubblingMouseEvents: false,
          fillColor: COLOURS[f.properties.kind] || "#555"
        }).bindPopup(popup(f.properties)).addTo(resultLayer);
        resultMarkers[f.properties.id] = marker;
        bounds.extend([c[1], c[0]]);
        list.appendChild(resultItem(f));
      });
      count.textContent = fc.numberMatched === 0 ? T.none
        : fill(T.count, { matched: fc.numberMatched, shown: fc.numberReturned });
      if (hereMarker) { hereMarker.bringToFront(); }
      map.fitBounds(bounds.pad(0.1), { maxZoom: 15, animate: false });
      list.dataset.query = query;
      list.dataset.state = "done";
      list.removeAttribute("aria-busy");
    }

    function showOnMap(id) {
      var marker = resultMarkers[id];
      if (!marker) { return; }
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15), { animate: false });
      marker.openPopup();
      mapEl.scrollIntoView({ block: "nearest" });
    }

    // --- every station, drawn once on the canvas -----------------------------------------
    function drawStations(fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 4, weight: 1, color: "#fff", fillOpacity: 0.85,
                                          fillColor: COLOURS[f.properties.kind] || "#555",
                                          bubblingMouseEvents: false });
        },
        onEachFeature: function (f, lyr) {
          lyr.bindPopup(function () { return popup(f.properties); });
        }
      }).addTo(map);
      layer.bringToBack();
      if (state.lat === null && fc.features.length) {
        map.fitBounds(layer.getBounds(), { maxZoom: 14, animate: false });
      }
      mapEl.dataset.loaded = String(fc.features.length);
    }

    fetch(cfg.urls.stations)
      .then(function (r) {
        if (!r.ok) { throw new Error("stations request failed: HTTP " + r.status); }
        return r.json();
      })
      .then(drawStations)
      .catch(function (err) {
        mapEl.dataset.error = err.message;
        say(T.map_error);
        console.error(err);
      });

    // --- start from the URL --------------------------------------------------------------
    toggleMore(state.amenities.some(function (k) {  // a chosen amenity hides in "more"
      return morePanel.querySelector('[data-amenity="' + k + '"]') !== null;
    }));
    showState();
    if (state.lat !== null) {
      drawHere();
      search();
    } else if (navigator.permissions && navigator.geolocation) {
      // Locate at once only when the user has already allowed it; otherwise wait for a tap.
      navigator.permissions.query({ name: "geolocation" }).then(function (p) {
        if (p.state === "granted" && state.lat === null) { locate(); }
      }).catch(function () { /* no Permissions API for geolocation: wait for a tap */ });
    }
  }
})();
