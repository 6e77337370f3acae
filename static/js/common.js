// Shared by the scripts of every page and embed: the server's colours, text templates and
// distances, the compact points of the API, and JSON requests. Classic script, no build step:
// each file adds to one namespace, window.locator. Load it first; it reads nothing at load
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

  locator.style = readStyle;
  locator.stationColour = stationColour;
  locator.shareColour = shareColour;
  locator.fill = fill;
  locator.distanceText = distanceText;
  locator.decode = decode;
  locator.getJson = getJson;
})(window.locator = window.locator || {});
