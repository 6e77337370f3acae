// Shared by the scripts of every page and embed: the server's colours, text templates and
// distances, the compact points of the API (by map tile), and JSON requests. Classic script,
// no build step: each file adds to one namespace, window.locator. Load it first; it reads nothing at load
// time, so it may come before or after the #locator-style element.
(function (locator) {
  "use strict";
  var GREY = "#555";
  var style = null;

  // The colours of locator's style (the server renders them into #locator-style), so the
  // pages, the folium maps and the print maps agree:
  // {stations: {kind: colour}, site, covered, shares: [5 colours], share_bins: [4 edges]}.
  function readStyle() {
    if (style) { return style; }
    var node = document.getElementById("locator-style");
    style = node ? JSON.parse(node.textContent) : null;
    if (!style) {
      console.error("locator: no #locator-style element; colours fall back to grey");
      style = { stations: {}, site: GREY, covered: GREY, shares: [GREY], share_bins: [] };
    }
    return style;
  }

  function stationColour(kind) { return readStyle().stations[kind] || GREY; }

  // The choropleth class of a covered share (0..1), as the server's share_colour: the
  // number of bin edges at or below it; NaN gets the lowest class.
  function shareColour(share) {
    var s = readStyle(), k = 0;
    if (isFinite(share)) {
      s.share_bins.forEach(function (edge) { if (share >= edge) { k++; } });
    }
    return s.shares[Math.min(k, s.shares.length - 1)];
  }

  // "{n} km" with {n} filled in; values are plain text, never markup.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  var numbers = null;
  function number() {  // in the page's language; at most one decimal, as the server's text
    if (!numbers) {
      var lang = /^en\b/.test(document.documentElement.lang) ? "en" : "zh-CN";
      numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
    }
    return numbers;
  }

  // A distance for people: under 1 km in metres rounded to 10 m ("850 m"), else in km with
  // at most one decimal ("1.2 km", "3 km"). T.metres and T.kilometres are the page's
  // templates ("{n} m", "{n} 公里", ...).
  function distanceText(m, T) {
    var tens = Math.round(m / 10) * 10;
    if (tens < 1000) { return fill(T.metres, { n: number().format(tens) }); }
    return fill(T.kilometres, { n: number().format(Math.round(m / 100) / 10) });
  }

  // Compact points (see the server's compact_points): flat [dlon0, dlat0, dlon1, dlat1, ...]
  // integers, each relative to the previous point, in 1/scale degrees -> Leaflet's
  // [[lat, lon], ...].
  function decode(flat, scale) {
    var out = new Array(flat.length >> 1), lon = 0, lat = 0;
    for (var i = 0; i < out.length; i++) {
      lon += flat[2 * i];
      lat += flat[2 * i + 1];
      out[i] = [lat / scale, lon / scale];
    }
    return out;
  }

  // fetch(url, init) and its JSON. An HTTP error rejects with an Error whose status is the
  // HTTP status and whose message is the error of the server's error shape
  // {ok: false, error, status}, or "HTTP <status>" when the answer has none. Network
  // errors reject as fetch's own (no err.status).
  function getJson(url, init) {
    return fetch(url, init).then(function (r) {
      if (r.ok) { return r.json(); }
      return r.json().catch(function () { return null; }).then(function (body) {
        var err = new Error(body && typeof body.error === "string" ? body.error
                                                                   : "HTTP " + r.status);
        err.status = r.status;
        throw err;
      });
    });
  }

  // --- the stations in view, by map tile ----------------------------------------------------
  // The maps ask the compact points endpoint for the web-map tiles (XYZ, as Leaflet's) that
  // cover their view, TILE_ZOOM_BELOW levels under the map's zoom, so that a view needs a
  // few tiles (3 x 2 on a 1280 x 800 map). Answers are kept (the TILES_KEPT last used) with
  // the dataset version they came from; one from a newer version drops the others. A kept
  // tile also serves the smaller tiles inside it, so zooming in asks for nothing. A large
  // dataset's low-zoom tiles come with their count only (omitted: true): "zoom in".
  var TILE_ZOOM_BELOW = 2, TILE_MAX_ZOOM = 14, TILES_KEPT = 32, MAX_LAT = 85.0511287798;

  function tilesInView(bounds, mapZoom) {  // ["z/x/y", ...] covering Leaflet bounds
    var z = Math.max(0, Math.min(TILE_MAX_ZOOM, Math.round(mapZoom) - TILE_ZOOM_BELOW));
    var n = Math.pow(2, z), keys = [];
    function clamp(i) { return Math.min(n - 1, Math.max(0, Math.floor(i))); }
    function col(lon) { return clamp((lon + 180) / 360 * n); }
    function row(lat) {
      var r = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180;
      return clamp((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n);
    }
    for (var x = col(bounds.getWest()); x <= col(bounds.getEast()); x++) {
      for (var y = row(bounds.getNorth()); y <= row(bounds.getSouth()); y++) {
        keys.push(z + "/" + x + "/" + y);
      }
    }
    return keys;
  }

  // The tiles of the compact points at url (which may carry filters) for one map.
  function tiledPoints(url) {
    var kept = new Map(), pending = {}, version = -1;
    var join = url.indexOf("?") < 0 ? "?" : "&";

    function keep(key, points) {
      if (points.version > version) {  // a new dataset: what was kept is out of date
        version = points.version;
        kept.forEach(function (t, k) { if (t.version !== version) { kept.delete(k); } });
      }
      kept.delete(key);
      kept.set(key, points);
      if (kept.size > TILES_KEPT) { kept.delete(kept.keys().next().value); }
    }

    // The key of the largest kept tile with points that holds tile key (or key itself,
    // kept without points); null when it must be fetched. Marks it as just used.
    function cover(key) {
      var p = key.split("/").map(Number);
      for (var up = p[0]; up >= 0; up--) {
        var k = (p[0] - up) + "/" + (p[1] >> up) + "/" + (p[2] >> up), t = kept.get(k);
        if (t && (!t.omitted || up === 0)) { kept.delete(k); kept.set(k, t); return k; }
      }
      return null;
    }

    function fetchTile(key) {
      if (!pending[key]) {
        pending[key] = getJson(url + join + "tile=" + key).then(function (points) {
          delete pending[key];
          keep(key, points);
        }, function (err) { delete pending[key]; throw err; });
      }
      return pending[key];
    }

    // The tiles that cover map's view, [{key, points}], after fetching those not kept.
    function inView(map) {
      var keys = tilesInView(map.getBounds(), map.getZoom());
      var missing = keys.filter(function (k) { return !cover(k); });
      return Promise.all(missing.map(fetchTile)).then(function () {
        if (keys.some(function (k) { return !cover(k); })) { return inView(map); }  // a new version
        var chosen = {};
        keys.forEach(function (k) { var c = cover(k); chosen[c] = kept.get(c); });
        return Object.keys(chosen).map(function (k) { return { key: k, points: chosen[k] }; });
      });
    }

    // Draw the tiles in view now and after each move: draw(tiles) for the latest view
    // only, failed(error) when a tile could not be fetched. {ready: a promise settled after
    // the first drawing or failure, stop()}.
    function follow(map, draw, failed) {
      var seq = 0;
      function update() {
        var mine = ++seq;
        return inView(map).then(function (tiles) { if (mine === seq) { draw(tiles); } },
                                function (err) { if (mine === seq) { failed(err); } });
      }
      map.on("moveend", update);
      return { ready: update(), stop: function () { seq++; map.off("moveend", update); } };
    }

    function urls() {  // of the kept tiles, for the service worker to keep
      return Array.from(kept.keys()).map(function (k) { return url + join + "tile=" + k; });
    }

    return { follow: follow, urls: urls };
  }

  // How many stations the tiles hold (one on a tile's edge is in both), and whether any
  // came without points.
  function tilesSummary(tiles) {
    var ids = {}, n = 0, omitted = false;
    tiles.forEach(function (t) {
      omitted = omitted || t.points.omitted;
      t.points.ids.forEach(function (id) { if (!ids[id]) { ids[id] = 1; n++; } });
    });
    return { count: n, omitted: omitted };
  }

  // A line of text over a Leaflet map (top right), shown while it has any: show(text).
  function mapNote(map) {
    var box = null;
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      box = document.createElement("div");
      box.className = "leaflet-control leaflet-bar map-note";
      box.setAttribute("role", "status");
      box.style.background = "#fff";
      box.style.padding = "2px 8px";
      return box;
    };
    control.addTo(map);
    return function show(text) {
      box.textContent = text;
      box.hidden = !text;
    };
  }

  locator.style = readStyle;
  locator.stationColour = stationColour;
  locator.shareColour = shareColour;
  locator.fill = fill;
  locator.distanceText = distanceText;
  locator.decode = decode;
  locator.getJson = getJson;
  locator.tiledPoints = tiledPoints;
  locator.tilesSummary = tilesSummary;
  locator.mapNote = mapNote;
})(window.locator = window.locator || {});
