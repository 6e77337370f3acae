// The finder's API call: the nearest stations to the chosen position with the chosen
// filters (the map fetches its own points, finder-map.js). With poor signal the browser answers from
// its offline copy (on.local, finder-offline.js): at once when it knows it is offline,
// when the network fails, and meanwhile when the network is slow (the network's answer
// then replaces it when it comes).
(function (locator) {
  "use strict";
  var SLOW_MS = 5000;
  var SHOWN = 10;

  function nearestQuery(state) {
    var q = new URLSearchParams({ lat: String(state.lat), lon: String(state.lon),
                                  k: String(SHOWN) });
    if (state.confirmed) { q.set("confirmed_months", state.confirmed); }
    if (state.kind) { q.set("kind", state.kind); }
    if (state.amenities.length) { q.set("amenities", state.amenities.join(",")); }
    if (state.unknown) { q.set("include_unknown", "true"); }
    if (state.open) { q.set("open_at", "now"); }
    return q.toString();
  }

  // A search function for state -> the nearest stations; nothing without a position. Only
  // the latest search reports: on.start(query), then on.done(featureCollection, query) or
  // on.failed(error) (also when on.done throws). on.local(state), if given, is a promise
  // of the browser's own answer (a FeatureCollection with offline: true) or of null.
  function searcher(url, on) {
    var latest = 0;
    return function search(state) {
      if (state.lat === null) { return; }
      var query = nearestQuery(state), seq = ++latest, answered = false;
      on.start(query);
      function show(fc) { if (seq === latest) { on.done(fc, query); } }
      function fail(err) { if (seq === latest) { on.failed(err); } }
      function local(err) {
        if (!on.local) { return Promise.reject(err); }
        return on.local(state).then(function (fc) { if (!fc) { throw err; } return fc; });
      }
      if (on.local && navigator.onLine === false) {
        local(new Error("offline")).then(show).catch(fail);
        return;
      }
      var slow = on.local ? setTimeout(function () {
        local(new Error("slow")).then(function (fc) { if (!answered) { show(fc); } },
                                      function () { /* keep waiting for the network */ });
      }, SLOW_MS) : null;
      locator.getJson(url + "?" + query)
        .then(function (fc) { answered = true; clearTimeout(slow); show(fc); })
        .catch(function (err) {
          clearTimeout(slow);
          if (answered || err.status !== undefined) { fail(err); return; }
          local(err).then(show).catch(fail);
        });
    };
  }

  locator.finderSearch = { searcher: searcher, nearestQuery: nearestQuery, shown: SHOWN };
})(window.locator = window.locator || {});
