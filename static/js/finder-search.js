// The finder's API calls: the nearest stations to the chosen position with the chosen
// filters, and every station once for the map.
(function (locator) {
  "use strict";

  function nearestQuery(state) {
    var q = new URLSearchParams({ lat: String(state.lat), lon: String(state.lon), k: "10" });
    if (state.kind) { q.set("kind", state.kind); }
    if (state.amenities.length) { q.set("amenities", state.amenities.join(",")); }
    if (state.unknown) { q.set("include_unknown", "true"); }
    if (state.open) { q.set("open_at", "now"); }
    return q.toString();
  }

  // A search function for state -> the nearest stations; nothing without a position. Only
  // the latest search reports: on.start(query), then on.done(featureCollection, query) or
  // on.failed(error) (also when on.done throws).
  function searcher(url, on) {
    var latest = 0;
    return function search(state) {
      if (state.lat === null) { return; }
      var query = nearestQuery(state), seq = ++latest;
      on.start(query);
      locator.getJson(url + "?" + query)
        .then(function (fc) { if (seq === latest) { on.done(fc, query); } })
        .catch(function (err) { if (seq === latest) { on.failed(err); } });
    };
  }

  function stations(url) {  // every station, as compact points (/api/v1/stations/points)
    return locator.getJson(url);
  }

  locator.finderSearch = { searcher: searcher, stations: stations, nearestQuery: nearestQuery };
})(window.locator = window.locator || {});
