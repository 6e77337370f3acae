// The station finder (/): the controls, and the wiring of its parts: the state in the URL
// (finder-url.js), the search (finder-search.js), the result list (finder-list.js) and the
// map (finder-map.js). Changing the position or a filter writes the URL and searches again.
(function (locator) {
  "use strict";
  var configEl = document.getElementById("finder-config");
  if (!configEl) { return; }
  var cfg = JSON.parse(configEl.textContent);
  var T = cfg.text;
  var status = document.getElementById("locate-status");
  var district = document.getElementById("district");
  var more = document.getElementById("more");
  var morePanel = document.getElementById("more-amenities");
  var mapEl = document.getElementById("map");
  var state = locator.finderUrl.read(cfg);

  var list = locator.finderList.resultList(cfg, function (id) { view.showResult(id); });
  var route = null;  // the route search (finder-route.js) may take a tap as its start or end
  var view = locator.finderMap.finderMap(mapEl, cfg, state, list.popup, function (lat, lon) {
    if (route && route.pick(lat, lon)) { return; }
    say("");
    district.value = "";
    setPosition(lat, lon);
  });
  route = locator.finderRoute.routeSearch(cfg, view.map);
  var search = locator.finderSearch.searcher(cfg.urls.nearest, {
    start: list.loading,
    done: function (fc, query) {
      view.showResults(fc.features, state.lat, state.lon);
      list.show(fc, query);
    },
    failed: function (err) {
      list.failed();
      console.error("nearest stations:", err);
    }
  });

  function say(text) { status.textContent = text; }

  // --- the controls ------------------------------------------------------------------------
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

  function changed() {  // by the user: a search they asked for, so show its results
    showState();
    locator.finderUrl.write(state);
    search(state);
    if (state.lat !== null) { list.reveal(); }
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

  // --- the position ------------------------------------------------------------------------
  function setPosition(lat, lon) {
    state.lat = lat;
    state.lon = lon;
    view.showHere(lat, lon);
    changed();
  }

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

  // --- start: every station on the map, then the URL's view ---------------------------------
  locator.finderSearch.stations(cfg.urls.stations)
    .then(function (fc) { view.drawStations(fc, state.lat === null); })
    .catch(function (err) {
      mapEl.dataset.error = err.message;
      say(T.map_error);
      console.error("stations:", err);
    });

  toggleMore(state.amenities.some(function (k) {  // a chosen amenity hides in "more"
    return morePanel.querySelector('[data-amenity="' + k + '"]') !== null;
  }));
  showState();
  if (state.lat !== null) {
    view.showHere(state.lat, state.lon);
    search(state);
  } else if (navigator.permissions && navigator.geolocation) {
    // Locate at once only when the user has already allowed it; otherwise wait for a tap.
    navigator.permissions.query({ name: "geolocation" }).then(function (p) {
      if (p.state === "granted" && state.lat === null) { locate(); }
    }).catch(function () { /* no Permissions API for geolocation: wait for a tap */ });
  }
})(window.locator);
