// The finder with poor signal: it registers the service worker (/sw.js), keeps the offline
// copy of the stations (GET /api/v1/offline, cached by the worker: every station, or for a
// large dataset those of the area around the position) and the last search
// (localStorage), and answers nearest-station questions in the browser from that copy,
// with distances by Karney's geodesic on WGS84 (geographiclib-geodesic, the algorithm of
// the server's pyproj.Geod), sorted as the server sorts them: by distance, then by row.
(function (locator) {
  "use strict";
  var LAST_SEARCH = "locator.lastSearch";
  var LAST_AREA = "locator.offlineArea";  // the URL of the last area copy of a large dataset
  // A large dataset's copy covers the AREA_STEP_DEG cell of the position and one cell
  // around it (1.5 degrees square: about 130 x 165 km in Beijing), so that it is asked
  // for again only when the position leaves its cell.
  var AREA_STEP_DEG = 0.5;
  var CONTROL_WAIT_MS = 10000;
  var AMENITY_VALUES = { y: "yes", n: "no", u: "unknown" };
  // travel.py's modes: detour factor and speed (km/h)
  var MODES = { walk: [1.3, 4.5], ebike: [1.3, 15.0], truck: [1.4, 40.0] };

  function store() {  // localStorage, or null where the browser refuses it
    try { return window.localStorage; } catch (e) { return null; }
  }

  // The stations of an offline pack as arrays: lon, lat (WGS84 degrees) per row.
  function unpack(pack) {
    var n = pack.count, lon = new Float64Array(n), lat = new Float64Array(n), x = 0, y = 0;
    for (var i = 0; i < n; i++) {
      x += pack.coords[2 * i];
      y += pack.coords[2 * i + 1];
      lon[i] = x / pack.scale;
      lat[i] = y / pack.scale;
    }
    return { pack: pack, lon: lon, lat: lat };
  }

  function distanceM(lat1, lon1, lat2, lon2) {  // the geodesic on WGS84, metres
    return window.geodesic.Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2,
                                                   window.geodesic.Geodesic.DISTANCE).s12;
  }

  function estimates(distanceM) {
    var out = {};
    Object.keys(MODES).forEach(function (mode) {
      var routeM = distanceM * MODES[mode][0];
      out[mode] = { route_m: Math.round(routeM),
                    minutes: Math.round(routeM / (MODES[mode][1] * 1000 / 60) * 10) / 10 };
    });
    return out;
  }

  // The rows that pass the filters {kind, amenities: [key], unknown}.
  function matching(stations, filters) {
    var p = stations.pack, kind = filters.kind ? p.kinds.indexOf(filters.kind) : -1;
    var codes = (filters.amenities || []).map(function (k) { return p.amenities[k] || ""; });
    var rows = [];
    for (var i = 0; i < p.count; i++) {
      if (kind >= 0 && p.kind[i] !== kind) { continue; }
      var ok = true;
      for (var j = 0; j < codes.length && ok; j++) {
        var c = codes[j].charAt(i);
        ok = c === "y" || (filters.unknown && c === "u");
      }
      if (ok) { rows.push(i); }
    }
    return rows;
  }

  function properties(stations, row, distance) {
    var p = stations.pack, amenities = {};
    Object.keys(p.amenities).forEach(function (k) {
      amenities[k] = AMENITY_VALUES[p.amenities[k].charAt(row)] || "unknown";
    });
    var h = p.hour[row], words = { zh: p.hours.zh[h], en: p.hours.en[h] };
    return {
      id: p.ids[row], name: p.names[row], kind: p.kinds[p.kind[row]],
      distance_m: distance, estimates: estimates(distance), open_now: "unknown",
      opening_hours_text: words.zh || words.en ? words : null, amenities: amenities,
      links: {}, offline: true,
      last_confirmed: p.last_confirmed ? p.last_confirmed[row] : undefined,
      reported_closed: (p.reported_closed || {})[p.ids[row]] || null
    };
  }

  // The k nearest stations to (lat, lon) that pass filters, as the server's FeatureCollection
  // (the fields the finder shows; open_now is "unknown": hours are not applied offline).
  function nearest(stations, lat, lon, filters, k) {
    var rows = matching(stations, filters);
    var measured = rows.map(function (r) {
      return [distanceM(lat, lon, stations.lat[r], stations.lon[r]), r];
    });
    measured.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var features = measured.slice(0, k).map(function (m) {
      return { type: "Feature", id: stations.pack.ids[m[1]],
               geometry: { type: "Point", coordinates: [stations.lon[m[1]], stations.lat[m[1]]] },
               properties: properties(stations, m[1], m[0]) };
    });
    return { type: "FeatureCollection", numberMatched: rows.length,
             numberReturned: features.length, query: { lat: lat, lon: lon, k: k },
             features: features, offline: true };
  }

  // The offline side of the finder. cfg is the finder's config; its urls.sw and
  // urls.offline name the worker and the offline copy. onChange() hears when the copy (or
  // the network state) changes, to redraw the note on its age.
  function keeper(cfg, onChange) {
    var stations = null, saved = null, version = null, asked = null, pointUrls = null;

    // The URL of the copy for position {lat, lon}: every station of a small dataset, the
    // area around it for a large one (null without a position).
    function areaUrl(at) {
      if (!cfg.large) { return cfg.urls.offline; }
      if (at.lat === null) { return null; }
      var lat = Math.floor(at.lat / AREA_STEP_DEG) * AREA_STEP_DEG;
      var lon = Math.floor(at.lon / AREA_STEP_DEG) * AREA_STEP_DEG;
      var box = [lon - AREA_STEP_DEG, lat - AREA_STEP_DEG,
                 lon + 2 * AREA_STEP_DEG, lat + 2 * AREA_STEP_DEG];
      return cfg.urls.offline + "?bbox=" + box.map(function (v) { return v.toFixed(2); }).join(",");
    }

    function covers(at) {  // is the copy asked for the one for position at?
      return !cfg.large || at.lat === null || areaUrl(at) === asked;
    }

    // Register the worker; the promise resolves (true) once it controls the page, so that
    // what the page fetches next is kept, or (false) after CONTROL_WAIT_MS without it.
    // urls() names the map's points fetched so far (the worker is to keep them too).
    function register(urls) {
      pointUrls = urls || null;
      var sw = navigator.serviceWorker;
      if (!sw || !cfg.urls.sw) { return Promise.resolve(false); }
      return sw.register(cfg.urls.sw, { scope: cfg.urls.scope || "/" }).then(function () {
        if (sw.controller) { return true; }
        return new Promise(function (resolve) {
          sw.addEventListener("controllerchange", function () { resolve(warm()); });
          setTimeout(function () { resolve(false); }, CONTROL_WAIT_MS);
        });
      }).catch(function (err) { console.warn("service worker:", err.message); return false; });
    }

    // On the first visit the page and the map's points came before the worker: ask for
    // them again through it, so that it keeps them.
    function warm() {
      var urls = [window.location.pathname + window.location.search]
        .concat(pointUrls ? pointUrls() : []);
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).catch(function () { return null; });
      })).then(function () { return true; });
    }

    // Load the copy for position at, once the promise after has settled: from the network
    // when there is one (the worker keeps it), else from the worker's cache, whose answer
    // says when it was saved. A large dataset's copy of another area, kept before, serves
    // when this one cannot be had.
    function load(at, after) {
      var s = store(), url = areaUrl(at), before = cfg.large && s ? s.getItem(LAST_AREA) : null;
      asked = url;
      url = url || before;
      if (!url) { onChange(); return Promise.resolve(null); }
      return Promise.resolve(after).then(function () { return fetchCopy(s, url, before); });
    }

    function fetchCopy(s, url, before) {
      function get(u) {
        return fetch(u).then(function (r) {
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          try { if (cfg.large && s) { s.setItem(LAST_AREA, u); } } catch (e) { /* full */ }
          return r;
        });
      }
      return get(url).catch(function (err) {
        if (!before || before === url) { throw err; }
        return get(before);
      }).then(function (r) {
        var stamp = r.headers.get("X-Locator-Saved");
        return r.json().then(function (pack) {
          stations = unpack(pack);
          version = pack.dataset && pack.dataset.version;
          saved = stamp ? new Date(stamp) : new Date();
          document.documentElement.dataset.offlineReady = String(pack.count);
          if (!stamp && cfg.urls.amenities) {  // fresh: keep the vocabulary with it
            fetch(cfg.urls.amenities).catch(function () { /* kept next time */ });
          }
          onChange();
          return stations;
        });
      }).catch(function (err) { console.warn("offline copy:", err.message); onChange(); });
    }

    function answer(state, k) {
      if (!stations || state.lat === null) { return null; }
      var area = stations.pack.area;  // [w, s, e, n] of a large dataset's copy
      if (area && (state.lon < area[0] || state.lat < area[1] || state.lon > area[2] ||
                   state.lat > area[3])) { return null; }
      return nearest(stations, state.lat, state.lon,
                     { kind: state.kind, amenities: state.amenities, unknown: state.unknown }, k);
    }

    function remember(state, fc) {  // the last search and its answer, for the next visit
      var s = store();
      if (!s || fc.offline) { return; }
      try {
        s.setItem(LAST_SEARCH, JSON.stringify({ at: new Date().toISOString(), state: state,
                                                answer: fc }));
      } catch (e) { /* full: the last search is a convenience */ }
    }

    function lastSearch() {
      var s = store();
      try { return s ? JSON.parse(s.getItem(LAST_SEARCH) || "null") : null; } catch (e) { return null; }
    }

    window.addEventListener("online", onChange);
    window.addEventListener("offline", onChange);
    return { register: register, load: load, covers: covers, answer: answer, remember: remember,
             lastSearch: lastSearch, saved: function () { return saved; },
             version: function () { return version; },
             count: function () { return stations ? stations.pack.count : 0; },
             distanceM: distanceM };
  }

  locator.finderOffline = { keeper: keeper, nearest: nearest, unpack: unpack,
                            distanceM: distanceM };
})(window.locator = window.locator || {});
