// Map layers for the folium maps of locator/maps/folium_map.py: the existing stations in
// view (compact points from /api/v1/stations/points by map tile, common.js, drawn as canvas
// circles in the server's station colours) and the legend. Text from data reaches the page only through
// textContent. Loaded in <head> after common.js and dom.js, before folium's inline script.
var LocatorMap = (function (locator) {
  "use strict";
  var el = locator.el, add = locator.add;

  function stationPopup(cfg, id) {
    var box = el("div", "popup station-popup");
    var title = add(box, "h3", "", id);
    var kind = add(box, "p", "kind");
    var address = add(box, "p", "address");
    var link = add(box, "a", "", cfg.details);
    link.href = cfg.page.replace("__id__", encodeURIComponent(id));
    locator.getJson(cfg.station.replace("__id__", encodeURIComponent(id)))
      .then(function (f) {
        var p = f.properties;
        title.textContent = p.name;
        kind.textContent = cfg.kinds[p.kind] || p.kind;
        address.textContent = p.address || "";
      })
      .catch(function (err) { console.error(err); });
    return box;
  }

  // The stations in view on one canvas of its own, drawn in one pass per colour: no object
  // per station. A click within a few pixels of a station opens its popup. Tiles of points
  // are fetched as the map moves while the layer is on the map.
  var PointsLayer = L.Layer.extend({
    options: { pane: "overlayPane", radius: 3, tolerance: 4, padding: 0.5 },

    initialize: function (cfg) {
      L.setOptions(this, { pane: cfg.pane || "overlayPane" });
      this._cfg = cfg;
      this._ids = [];
      this._colours = [];  // each station's fill
      this._latlngs = [];
      this._xy = new Float64Array(0);
    },

    // The stations of tiles [{points}] (from locator.tiledPoints), each once.
    setTiles: function (tiles) {
      var seen = {}, ids = [], colours = [], latlngs = [];
      tiles.forEach(function (t) {
        var p = t.points;
        if (p.omitted) { return; }
        var byKind = p.kinds.map(locator.stationColour);
        p.latlngs = p.latlngs || locator.decode(p.coords, p.scale);
        for (var i = 0; i < p.ids.length; i++) {
          if (seen[p.ids[i]]) { continue; }
          seen[p.ids[i]] = true;
          ids.push(p.ids[i]);
          colours.push(byKind[p.kind[i]]);
          latlngs.push(p.latlngs[i]);
        }
      });
      this._ids = ids;
      this._colours = colours;
      this._latlngs = latlngs;
      this._xy = new Float64Array(2 * latlngs.length);
      if (this._map) { this._reset(); }
      return this;
    },

    stationLatLng: function (id) {
      var i = this._ids.indexOf(id);
      return i < 0 ? null : L.latLng(this._latlngs[i]);
    },

    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "locator-points leaflet-zoom-hide");
      this.getPane().appendChild(this._canvas);
      map.on("moveend resize viewreset", this._reset, this);
      map.on("click", this._click, this);
      map.on("mousemove", this._hover, this);
      this._reset();
      this._note = this._note || locator.mapNote(map);
      this._following = this._cfg.tiles.follow(map, this._drawn.bind(this), function (err) {
        document.documentElement.dataset.stationsError = err.message;
        console.error(err);
      });
    },

    _drawn: function (tiles) {  // the tiles in view have come: draw them, then say so
      var summary = locator.tilesSummary(tiles), map = this._map;
      this.setTiles(tiles);
      this._note(summary.omitted ? this._cfg.zoom_in : "");
      requestAnimationFrame(function () {
        if (window.performance && performance.mark) { performance.mark("stations-drawn"); }
        if (map) { map.getContainer().dataset.stationsDrawn = String(summary.count); }
        document.documentElement.dataset.stationsDrawn = String(summary.count);
      });
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend resize viewreset", this._reset, this);
      map.off("click", this._click, this);
      map.off("mousemove", this._hover, this);
      map.getContainer().classList.remove("locator-points-hover");
      this._following.stop();
      this._note("");
    },

    _reset: function () {
      var map = this._map, size = map.getSize(), pad = size.multiplyBy(this.options.padding).round();
      var ratio = window.devicePixelRatio || 1, canvas = this._canvas;
      this._origin = pad.multiplyBy(-1);
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint(this._origin));
      canvas.width = Math.round((size.x + 2 * pad.x) * ratio);
      canvas.height = Math.round((size.y + 2 * pad.y) * ratio);
      canvas.style.width = (size.x + 2 * pad.x) + "px";
      canvas.style.height = (size.y + 2 * pad.y) + "px";
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      this._draw(ctx, size.add(pad.multiplyBy(2)));
    },

    _draw: function (ctx, size) {
      var map = this._map, r = this.options.radius, byColour = {}, i, xy = this._xy;
      var ox = this._origin.x, oy = this._origin.y;
      for (i = 0; i < this._latlngs.length; i++) {
        var p = map.latLngToContainerPoint(this._latlngs[i]);
        xy[2 * i] = p.x;
        xy[2 * i + 1] = p.y;
        var x = p.x - ox, y = p.y - oy;
        if (x < -r || y < -r || x > size.x + r || y > size.y + r) { continue; }
        var colour = this._colours[i];
        (byColour[colour] = byColour[colour] || []).push(x, y);
      }
      ctx.lineWidth = 0.5;
      ctx.strokeStyle = "rgba(255, 255, 255, 0.8)";
      Object.keys(byColour).forEach(function (colour) {
        var pts = byColour[colour];
        ctx.beginPath();
        for (var k = 0; k < pts.length; k += 2) {
          ctx.moveTo(pts[k] + r, pts[k + 1]);
          ctx.arc(pts[k], pts[k + 1], r, 0, 2 * Math.PI);
        }
        ctx.fillStyle = colour;
        ctx.globalAlpha = 0.9;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.stroke();
      });
    },

    _nearest: function (point) {  // index of the station nearest a container point, or -1
      var best = -1, limit = this.options.radius + this.options.tolerance, bestD = limit * limit;
      for (var i = 0, xy = this._xy; i < this._latlngs.length; i++) {
        var dx = xy[2 * i] - point.x, dy = xy[2 * i + 1] - point.y, d = dx * dx + dy * dy;
        if (d <= bestD) { best = i; bestD = d; }
      }
      return best;
    },

    _click: function (e) {
      var i = this._nearest(e.containerPoint);
      if (i < 0) { return; }
      L.popup().setLatLng(this._latlngs[i])
        .setContent(stationPopup(this._cfg, this._ids[i])).openOn(this._map);
    },

    _hover: function (e) {
      this._map.getContainer().classList.toggle("locator-points-hover",
                                                this._nearest(e.containerPoint) >= 0);
    }
  });

  // The stations layer; the map's container gets data-stations-drawn (the count of
  // stations in the tiles in view) each time the canvas has been painted.
  function stations(cfg) {
    return new PointsLayer(L.extend({ tiles: locator.tiledPoints(cfg.url) }, cfg));
  }

  function swatch(parent, item) {
    var mark = add(parent, "span", "legend-mark legend-" + item.type);
    mark.setAttribute("aria-hidden", "true");
    if (item.type === "ramp") {
      mark.style.background = "linear-gradient(to right, " + item.colours.join(", ") + ")";
    } else {
      mark.style.background = item.colour;
    }
    if (item.big) { mark.classList.add("legend-big"); }
  }

  function legend(map, spec) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = el("div", "leaflet-control locator-legend");
      add(box, "strong", "legend-title", spec.title);
      var list = add(box, "ul");
      spec.items.forEach(function (item) {
        var li = add(list, "li", item.type === "heading" ? "legend-heading" : "");
        if (item.type !== "heading") { swatch(li, item); }
        li.appendChild(document.createTextNode(item.label));
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  return { stations: stations, legend: legend };
})(window.locator);
