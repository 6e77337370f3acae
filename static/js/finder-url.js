// The finder's state in the page URL, so that a view can be shared and survives a reload:
// the position (lat, lon) and the filters (kind, amenities, open, unknown, confirmed: months).
(function (locator) {
  "use strict";

  function isAmenity(cfg, key) {
    return cfg.amenities.some(function (pair) { return pair[0] === key; });
  }

  // {lat, lon, kind, amenities, open, unknown} from the URL; what is missing or unknown to
  // cfg is left out (lat and lon null, kind "").
  function read(cfg) {
    var q = new URLSearchParams(window.location.search);
    var lat = parseFloat(q.get("lat")), lon = parseFloat(q.get("lon"));
    var ok = isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
    var kind = q.get("kind") || "";
    return {
      lat: ok ? lat : null,
      lon: ok ? lon : null,
      kind: kind in cfg.kinds ? kind : "",
      amenities: (q.get("amenities") || "").split(",").filter(function (k, i, all) {
        return isAmenity(cfg, k) && all.indexOf(k) === i;
      }),
      open: q.get("open") === "now",
      unknown: q.get("unknown") === "1",
      confirmed: ["6", "12"].indexOf(q.get("confirmed")) >= 0 ? q.get("confirmed") : ""
    };
  }

  function pageQuery(state) {  // the URL's query with the state in it; other keys are kept
    var q = new URLSearchParams(window.location.search);
    var values = {
      lat: state.lat === null ? "" : state.lat.toFixed(5),
      lon: state.lon === null ? "" : state.lon.toFixed(5),
      kind: state.kind,
      amenities: state.amenities.join(","),
      open: state.open ? "now" : "",
      unknown: state.unknown ? "1" : "",
      confirmed: state.confirmed || ""
    };
    Object.keys(values).forEach(function (key) {
      if (values[key]) { q.set(key, values[key]); } else { q.delete(key); }
    });
    return q;
  }

  // Put the state in the URL (no new history entry) and in the language link, so that
  // switching the language keeps the view.
  function write(state) {
    var q = pageQuery(state);
    var search = q.toString();
    history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
    var other = document.getElementById("lang-switch");
    if (other) {
      var switched = new URL(other.href, window.location.href);
      q.set("lang", switched.searchParams.get("lang"));
      other.href = window.location.pathname + "?" + q.toString();
    }
  }

  // The station's page, in this page's language and tiles; with origin ({lat, lon}, WGS84,
  // or null) the page shows the distance and times from there and starts navigation there.
  // 4 decimals (about 10 m) are enough for that.
  function stationUrl(cfg, id, origin) {
    var here = new URLSearchParams(window.location.search), q = new URLSearchParams();
    ["lang", "tiles"].forEach(function (key) { if (here.get(key)) { q.set(key, here.get(key)); } });
    if (origin && isFinite(origin.lat) && isFinite(origin.lon)) {
      q.set("from", origin.lat.toFixed(4) + "," + origin.lon.toFixed(4));
    }
    var url = cfg.urls.station.replace("__id__", encodeURIComponent(id));
    return q.toString() ? url + "?" + q.toString() : url;
  }

  locator.finderUrl = { read: read, write: write, stationUrl: stationUrl };
})(window.locator = window.locator || {});
