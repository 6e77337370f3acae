// The station finder (/): the controls, and the wiring of its parts: the state in the URL
// (finder-url.js), the search (finder-search.js), the result list (finder-list.js), the
// map (finder-map.js), the offline copy (finder-offline.js) and the reports and
// suggestions (finder-report.js). Changing the position or a filter writes the URL and
// searches again.
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
  var confirmed = document.getElementById("confirmed");
  var offlineNote = document.getElementById("offline-note");
  var gps = null;  // the position the phone reported ({lat, lon, at}); a tap is not the user's
  var GPS_FRESH_MS = 10 * 60000;  // older than this, it no longer says where the user is
  var pickSuggestion = null;  // a tap on the map is awaited for a suggested site
  var NEAR_M = 200;
  var DAY_MS = 86400000;

  var offline = locator.finderOffline.keeper(cfg, showOffline);
  var controlled = null;  // the promise that the worker controls the page (see the start)
  var copyReady = null;  // the promise of the offline copy, once asked for
  var reports = locator.finderReport.setUp({
    near: function (s) {  // was the reporter within 200 m? unknown without their own position
      if (!gps || Date.now() - gps.at > GPS_FRESH_MS) { return null; }
      return offline.distanceM(gps.lat, gps.lon, s.lat, s.lon) <= NEAR_M;
    },
    position: function () { return state.lat === null ? null : { lat: state.lat, lon: state.lon }; },
    pickOnMap: function (done) {
      pickSuggestion = done;
      say(T.pick_suggest);
      mapEl.scrollIntoView({ block: "nearest" });
    }
  });
  var list = locator.finderList.resultList(cfg, function (id) { view.showResult(id); },
                                           function (s) { reports.report.open(s); });
  var route = null;  // the route search (finder-route.js) may take a tap as its start or end
  var view = locator.finderMap.finderMap(mapEl, cfg, state, list.popup, function (lat, lon) {
    if (pickSuggestion) {
      var done = pickSuggestion;
      pickSuggestion = null;
      say("");
      done(lat, lon);
      return;
    }
    if (route && route.pick(lat, lon)) { return; }
    say("");
    district.value = "";
    setPosition(lat, lon);
  });
  route = locator.finderRoute.routeSearch(cfg, view.map);
  var search = locator.finderSearch.searcher(cfg.urls.nearest, {
    start: list.loading,
    local: function (s) {
      return loadCopy().then(function () {
        return offline.answer(s, s.confirmed ? 1e9 : locator.finderSearch.shown);
      });
    },
    done: function (fc, query) {
      offline.remember(state, fc);
      if (!fc.offline && copyReady) { loadCopy(); }  // a large dataset's copy follows the position
      fc = confirmedOnly(fc);
      view.showResults(fc.features, state.lat, state.lon);
      list.show(fc, query);
      showOffline(fc);
    },
    failed: function (err) {
      list.failed(navigator.onLine === false ? T.offline_none : null);
      console.error("nearest stations:", err);
    }
  });

  function say(text) { status.textContent = text; }

  // The offline copy: of every station, or for a large dataset of the area around the
  // position (asked for again when the position leaves it).
  function loadCopy() {
    if (!copyReady || !offline.covers(state)) {
      copyReady = offline.load({ lat: state.lat, lon: state.lon }, controlled);
    }
    return copyReady;
  }

  // The day n calendar months before today (UTC), as the server's confirmed_months: the
  // last day of a shorter month when the day does not exist. "YYYY-MM-DD".
  function monthsAgo(n) {
    var now = new Date(), months = now.getUTCFullYear() * 12 + now.getUTCMonth() - n;
    var year = Math.floor(months / 12), month = months % 12;
    var last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return new Date(Date.UTC(year, month, Math.min(now.getUTCDate(), last)))
      .toISOString().slice(0, 10);
  }

  // Only the stations confirmed in the chosen number of months, at most the usual number.
  // The server filters its own answers (confirmed_months); this filters the offline ones.
  function confirmedOnly(fc) {
    if (!state.confirmed) { return fc; }
    var cutoff = monthsAgo(Number(state.confirmed));
    var kept = fc.features.filter(function (f) {
      return f.properties.last_confirmed && f.properties.last_confirmed >= cutoff;
    });
    if (kept.length === fc.features.length && !fc.offline) { return fc; }
    kept = kept.slice(0, locator.finderSearch.shown);
    return Object.assign({}, fc, { features: kept, numberReturned: kept.length,
                                   numberMatched: kept.length ? null : 0,
                                   confirmedMonths: state.confirmed });
  }

  // --- the age of the offline copy -----------------------------------------------------
  function when(date) {
    var text = new Intl.DateTimeFormat(document.documentElement.lang,
                                       { dateStyle: "medium", timeStyle: "short" }).format(date);
    var days = Math.floor((Date.now() - date.getTime()) / DAY_MS);
    return text + " (" + (days < 1 ? T.today : locator.fill(T.days_ago, { n: days })) + ")";
  }

  function showOffline(fc) {
    var saved = offline.saved();
    var answered = fc && fc.offline;
    var text = "";
    if (answered && saved) {
      text = locator.fill(T.offline_answer, { when: when(saved) }) + " " + T.offline_hours;
    } else if (navigator.onLine === false && !saved) {
      text = T.offline_none;
    } else if (saved) {
      text = locator.fill(T.offline_ready, { n: offline.count(), when: when(saved) });
    }
    offlineNote.textContent = text;
    offlineNote.dataset.state = answered ? "offline" : (saved ? "ready" : "none");
  }

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
    confirmed.value = state.confirmed;
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

  confirmed.addEventListener("change", function () {
    state.confirmed = confirmed.value;
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
      gps = { lat: pos.coords.latitude, lon: pos.coords.longitude, at: Date.now() };
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

  // --- start: the stations in view on the map, then the URL's view ---------------------------
  // The worker and the offline copy come after the map's points, so that a first visit
  // on a slow network draws the map first; with no network the copy is read at once, and
  // when the map's points cannot be fetched it draws the copy's stations instead.
  controlled = offline.register(view.pointUrls);
  if (navigator.onLine === false) { loadCopy(); }
  view.followStations(function (err) {
    loadCopy().then(function (stations) {
      if (stations) { view.drawCopy(stations.pack); return; }
      mapEl.dataset.error = err.message;
      say(T.map_error);
      console.error("stations:", err);
    });
  }).then(loadCopy);

  // Opened with no network and no position: the last search, as this phone saved it.
  var last = state.lat === null && navigator.onLine === false ? offline.lastSearch() : null;
  if (last && last.state && last.state.lat !== null) {
    ["lat", "lon", "kind", "amenities", "open", "unknown", "confirmed"].forEach(function (key) {
      if (last.state[key] !== undefined) { state[key] = last.state[key]; }
    });
    locator.finderUrl.write(state);
    say(locator.fill(T.last_search, { when: when(new Date(last.at)) }));
  }

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
