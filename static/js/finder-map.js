// The Leaflet maps of the finder (/) and of a station's page (/stations/<id>): base map,
// the chosen position, the results and the stations in view, coloured by the server's style.
(function (locator) {
  "use strict";
  var OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
  var OSM_CREDIT = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';
  var START = { at: [39.9, 116.4], zoom: 10 };  // Beijing, until a position is known

  function addTiles(map, on) {
    if (on) { L.tileLayer(OSM, { maxZoom: 19, attribution: OSM_CREDIT }).addTo(map); }
    L.control.scale().addTo(map);
  }

  function stationMarker(latlng, kind) {  // a result, or the station of a station's page
    return L.circleMarker(latlng, { radius: 9, weight: 2, color: "#1a1a1a", fillOpacity: 1,
                                    bubblingMouseEvents: false,
                                    fillColor: locator.stationColour(kind) });
  }

  // The small map of a station's page: its box has data-lat, data-lon, data-kind, data-tiles.
  function stationMap(box) {
    var at = [Number(box.dataset.lat), Number(box.dataset.lon)];
    var map = L.map(box, { renderer: L.canvas(), scrollWheelZoom: false }).setView(at, 15);
    addTiles(map, box.dataset.tiles === "osm");
    stationMarker(at, box.dataset.kind).addTo(map);
    box.dataset.loaded = "1";
  }

  // The finder's map in mapEl, first showing position {lat, lon} (lat null: Beijing).
  // popup(properties) builds a station's popup; onPick(lat, lon) hears taps on the map.
  function finderMap(mapEl, cfg, position, popup, onPick) {
    // A 4 px dot is too small to tap on a phone: the canvas renderer gives markers extra hit
    // area. One first view (a second setView would animate, and a zoom animation that ends
    // after the results arrive would undo their fitBounds).
    // Without a position it shows every station (cfg.bounds), or Beijing when there are none.
    var map = L.map(mapEl, { renderer: L.canvas({ tolerance: 6 }) });
    if (position.lat !== null) {
      map.setView([position.lat, position.lon], 14);
    } else if (cfg.bounds) {
      map.fitBounds(cfg.bounds, { maxZoom: 14, animate: false });
    } else {
      map.setView(START.at, START.zoom);
    }
    addTiles(map, cfg.tiles);
    var resultLayer = L.layerGroup().addTo(map);
    var resultMarkers = {};
    var hereMarker = null;
    map.on("click", function (e) { onPick(e.latlng.lat, e.latlng.lng); });

    function showHere(lat, lon) {
      if (hereMarker) { hereMarker.remove(); }
      hereMarker = L.circleMarker([lat, lon], {
        radius: 7, weight: 4, color: "#1a1a1a", fillColor: "#fff", fillOpacity: 1, bubblingMouseEvents: false
      }).bindTooltip(locator.el("span", "", cfg.text.you_are_here)).addTo(map);
    }

    // The results (GeoJSON features) around [lat, lon], and the view fitted to them.
    function showResults(features, lat, lon) {
      resultLayer.clearLayers();
      resultMarkers = {};
      var bounds = L.latLngBounds([[lat, lon]]);
      features.forEach(function (f) {
        var c = f.geometry.coordinates;  // GeoJSON order: [lon, lat]
        resultMarkers[f.properties.id] = stationMarker([c[1], c[0]], f.properties.kind)
          .bindPopup(popup(f.properties)).addTo(resultLayer);
        bounds.extend([c[1], c[0]]);
      });
      if (hereMarker) { hereMarker.bringToFront(); }
      map.fitBounds(bounds.pad(0.1), { maxZoom: 15, animate: false });
    }

    function showResult(id) {  // centre a result, open its popup and bring the map into view
      var marker = resultMarkers[id];
      if (!marker) { return; }
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15), { animate: false });
      marker.openPopup();
      mapEl.scrollIntoView({ block: "nearest" });
    }

    // The stations in view, tile by tile from the compact points of /api/v1/stations/points
    // (locator.tiledPoints), drawn on the canvas under the results, a layer per tile kept
    // with it. A dot knows only its id and kind: its popup shows those at once and the
    // rest when cfg.urls.station_api has answered.
    function stationLayer(points) {
      var latlngs = locator.decode(points.coords, points.scale);
      var colours = points.kinds.map(locator.stationColour);
      var layer = L.featureGroup();
      for (var i = 0; i < latlngs.length; i++) {
        var dot = L.circleMarker(latlngs[i], { radius: 4, weight: 1, color: "#fff",
                                               fillOpacity: 0.85,
                                               fillColor: colours[points.kind[i]],
                                               bubblingMouseEvents: false });
        dot.feature = { properties: { id: points.ids[i], kind: points.kinds[points.kind[i]] } };
        layer.addLayer(dot);
      }
      return layer.bindPopup(function (dot) {
        var box = locator.el("div");
        box.appendChild(popup(dot.feature.properties));
        var id = dot.feature.properties.id;
        if (dot.feature.properties.name === undefined) {
          locator.getJson(cfg.urls.station_api.replace("__id__", encodeURIComponent(id)))
            .then(function (f) {
              dot.feature.properties = f.properties;
              box.replaceChildren(popup(f.properties));
              layer.getPopup().update();
            }).catch(function (err) { console.error("station:", err); });
        }
        return box;
      });
    }

    var tiles = locator.tiledPoints(cfg.urls.stations), note = locator.mapNote(map);
    var shown = [];  // the layers drawn: of tiles, or of the offline copy

    function show(layers, count) {
      shown.forEach(function (l) { if (layers.indexOf(l) < 0) { map.removeLayer(l); } });
      layers.forEach(function (l) { if (!map.hasLayer(l)) { l.addTo(map).bringToBack(); } });
      shown = layers;
      mapEl.dataset.loaded = String(count);
    }

    function drawTiles(found) {
      var summary = locator.tilesSummary(found);
      show(found.filter(function (t) { return !t.points.omitted; }).map(function (t) {
        return t.points.layer || (t.points.layer = stationLayer(t.points));
      }), summary.count);
      note(summary.omitted ? cfg.text.zoom_in : "");
      mapEl.dataset.omitted = String(summary.omitted);
    }

    // Follow the view; failed(err) hears when tiles cannot be fetched (no network). The
    // promise settles after the first drawing.
    function followStations(failed) { return tiles.follow(map, drawTiles, failed).ready; }

    // The stations of the offline copy (the same compact fields), when tiles cannot come.
    function drawCopy(pack) {
      show([stationLayer(pack)], pack.count);
      note("");
    }

    return { showHere: showHere, showResults: showResults, showResult: showResult,
             followStations: followStations, drawCopy: drawCopy, pointUrls: tiles.urls,
             map: map };
  }

  locator.finderMap = { finderMap: finderMap, stationMap: stationMap };
})(window.locator = window.locator || {});
