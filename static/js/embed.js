// The page inside an embed's iframe (/embed/<view>): the stations in view (fetched by map tile
// as the map moves, common.js), a coverage choropleth or a
// plan's proposed sites. Everything from data reaches the page through textContent or attribute
// setters, never as HTML. The page tells its host how tall it is with postMessage, so that the
// host's embed-host.js can size the iframe. Overlays arrive in the datum of the tiles (the
// server shifts them for Amap), so nothing here converts coordinates.
(function (locator) {
  "use strict";
  var el = locator.el, add = locator.add, fill = locator.fill, getJson = locator.getJson;
  var configEl = document.getElementById("embed-config");
  var cfg = configEl ? JSON.parse(configEl.textContent) : {};

  // --- height, for the host page -------------------------------------------------------
  // Besides our own message (for embed-host.js), the height goes out in the forms that hosts
  // already listen for: AMP's amp-iframe, Datawrapper's embed script (it finds the frame by
  // id="datawrapper-chart-<key>" or by <key> in its src) and Flourish's (a JSON string).
  var lastHeight = 0;
  var here = window.location.pathname + window.location.search;
  var frameKey = cfg.id || (/['"\\]/.test(here) ? window.location.pathname : here);

  function heightMessages(height) {
    var ours = { type: "locator:height", height: height };
    if (cfg.id) { ours.id = cfg.id; }
    var datawrapper = {};
    datawrapper[frameKey] = height;
    return [
      ours,
      { sentinel: "amp", type: "embed-size", height: height },
      { "datawrapper-height": datawrapper },
      JSON.stringify({ sender: "Flourish", context: "iframe.resize", method: "resize",
                       height: height, src: window.location.toString() })
    ];
  }

  function postHeight(always) {
    if (window.parent === window) { return; }
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight && !always) { return; }
    lastHeight = height;
    heightMessages(height).forEach(function (message) {
      window.parent.postMessage(message, "*");  // a height is no secret; hosts check our origin
    });
  }

  if (window.ResizeObserver) {
    new ResizeObserver(function () { postHeight(false); }).observe(document.documentElement);
  }
  window.addEventListener("load", function () { postHeight(true); });
  window.addEventListener("message", function (event) {  // embed-host.js asks when it arrives late
    if (event.source === window.parent && event.data && event.data.type === "locator:ping") {
      postHeight(true);
    }
  });

  // --- a plan that is still running: check again until it is done --------------------------
  if (cfg.poll) {
    var poll = function () {
      getJson(cfg.poll)
        .then(function (job) {
          if (job.status === "queued" || job.status === "running") { setTimeout(poll, 2000); }
          else { window.location.reload(); }
        })
        .catch(function (err) {  // an answer with an error status: the plan is gone
          if (err.status) { window.location.reload(); } else { setTimeout(poll, 5000); }
        });
    };
    setTimeout(poll, 2000);
  }

  var mapEl = document.getElementById("map");
  if (!mapEl || !window.L) { return; }

  var T = cfg.text;
  var TILES = {
    osm: {
      url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", maxZoom: 19, subdomains: "abc",
      credit: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    },
    amap: {
      url: "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
      maxZoom: 18, subdomains: "1234", credit: '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>'
    }
  };
  var interactive = !cfg.static;
  var dark = document.documentElement.classList.contains("dark");
  var statusEl = document.getElementById("embed-status");
  var percent = new Intl.NumberFormat(cfg.lang === "en" ? "en" : "zh-CN",
                                      { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var number = new Intl.NumberFormat(cfg.lang === "en" ? "en" : "zh-CN");

  // --- the map ------------------------------------------------------------------------------
  var tiles = TILES[cfg.tiles];
  var map = L.map(mapEl, {
    renderer: L.canvas({ tolerance: 5 }),
    maxZoom: tiles ? tiles.maxZoom : 19,
    zoomControl: interactive, dragging: interactive, touchZoom: interactive,
    doubleClickZoom: interactive, boxZoom: interactive, keyboard: interactive,
    // The wheel scrolls the host page; ctrl/⌘ + wheel zooms and two fingers pan (the plugin).
    scrollWheelZoom: false,
    gestureHandling: interactive,
    gestureHandlingOptions: {  // replaces the plugin's defaults as a whole: keep "duration"
      text: { touch: T.touch, scroll: T.scroll, scrollMac: T.scrollMac }, duration: 1500
    }
  });
  if (tiles) {
    L.tileLayer(tiles.url, { maxZoom: tiles.maxZoom, subdomains: tiles.subdomains, attribution: tiles.credit })
      .addTo(map);
  }
  var credit = el("a", "", T.credit);  // built as an element, so the text is escaped
  credit.href = cfg.urls.home;
  credit.target = "_blank";
  credit.rel = "noopener";
  map.attributionControl.addAttribution(credit.outerHTML);
  if (cfg.center) {
    map.setView(cfg.center, cfg.zoom === null ? 13 : cfg.zoom);
  } else if (cfg.bounds) {
    map.fitBounds(cfg.bounds, { padding: [10, 10] });
    if (cfg.zoom !== null) { map.setZoom(cfg.zoom); }
  } else {
    map.setView([39.9, 116.4], cfg.zoom === null ? 9 : cfg.zoom);
  }

  // Legend keys: "share-<class>", "site" or a station kind; colours from the server's style.
  document.querySelectorAll(".swatch").forEach(function (swatch) {
    var key = swatch.dataset.key, style = locator.style();
    var share = /^share-(\d)$/.exec(key);
    swatch.style.background = share ? style.shares[Number(share[1])]
      : key === "site" ? style.site : locator.stationColour(key);
    if (!share) { swatch.classList.add("point"); }
  });

  // --- layers -------------------------------------------------------------------------------
  // The stations in view: a group per map tile (kept with the tile) in one group, so that a
  // narrow coverage map can hide them all at once.
  var stationGroup = L.featureGroup(), sitesGroup = null, omitted = false;

  function tileGroup(data) {
    var group = L.featureGroup();
    var small = cfg.view !== "stations";
    locator.decode(data.coords, data.scale).forEach(function (latlng, i) {
      L.circleMarker(latlng, {
        radius: small ? 2.5 : 3.5, weight: small ? 0.5 : 1, color: dark ? "#121417" : "#fff",
        fillColor: locator.stationColour(data.kinds[data.kind[i]]), fillOpacity: small ? 0.7 : 0.85,
        interactive: interactive, bubblingMouseEvents: false, stationId: data.ids[i]
      }).addTo(group);
    });
    if (interactive) { group.on("click", function (e) { openStation(e.layer); }); }
    return group;
  }

  function drawStations(tiles) {
    var summary = locator.tilesSummary(tiles), groups = [];
    tiles.forEach(function (t) {
      if (!t.points.omitted) { groups.push(t.points.group || (t.points.group = tileGroup(t.points))); }
    });
    stationGroup.eachLayer(function (g) {
      if (groups.indexOf(g) < 0) { stationGroup.removeLayer(g); }
    });
    groups.forEach(function (g) { if (!stationGroup.hasLayer(g)) { stationGroup.addLayer(g); } });
    if (sitesGroup) { sitesGroup.bringToFront(); }
    omitted = summary.omitted;
    mapEl.dataset.stations = String(summary.count);
    mapEl.dataset.omitted = String(omitted);
    showStations();
  }

  // On a narrow coverage map thousands of dots would hide the district shading, so the
  // stations wait until the reader zooms in (THIN_ZOOM) or the map is wider (THIN_WIDTH_PX).
  // A large dataset's tiles far out come without points: the reader is asked to zoom in.
  var THIN_WIDTH_PX = 480, THIN_ZOOM = 11;
  function showStations() {
    var hide = cfg.view === "coverage" && !!cfg.outlines && mapEl.clientWidth < THIN_WIDTH_PX &&
               map.getZoom() < THIN_ZOOM;
    if (hide && map.hasLayer(stationGroup)) { map.removeLayer(stationGroup); }
    if (!hide && !map.hasLayer(stationGroup)) { stationGroup.addTo(map); }
    mapEl.dataset.stationsShown = hide ? "no" : "yes";
    if (hide || omitted || statusEl.textContent === T.zoomIn) {
      statusEl.textContent = hide || omitted ? T.zoomIn : "";
    }
  }
  map.on("zoomend resize", showStations);

  function openStation(marker) {
    var id = marker.options.stationId;
    var box = el("div", "station-popup", T.loading);
    var popup = L.popup({ maxWidth: 260 }).setLatLng(marker.getLatLng()).setContent(box).openOn(map);
    getJson(cfg.urls.station.replace("__id__", encodeURIComponent(id))).then(function (feature) {
      var p = feature.properties;
      box.textContent = "";
      add(box, "strong", "", p.name);
      add(box, "span", "", cfg.kinds[p.kind] || p.kind);
      if (p.address) { add(box, "span", "", p.address); }
      var link = add(box, "a", "", T.details);
      link.href = cfg.urls.page.replace("__id__", encodeURIComponent(id));
      link.target = "_blank";
      link.rel = "noopener";
      popup.update();
    }).catch(function (err) {
      box.textContent = T.failed;
      console.error(err);
    });
  }

  function drawDistricts(outlines, coverage) {
    var rows = {};
    coverage.districts.forEach(function (d) { rows[d.district_adcode] = d; });
    var group = L.featureGroup();
    outlines.districts.forEach(function (d) {
      var row = rows[d.adcode];
      var shape = L.polygon(d.polygons.map(function (rings) {
        return rings.map(function (ring) { return locator.decode(ring, outlines.scale); });
      }), {
        weight: 1, color: dark ? "#aab" : "#445", fillOpacity: 0.75, interactive: interactive,
        fillColor: row ? locator.shareColour(row.covered_share) : "#bbb"
      }).addTo(group);
      if (interactive && row) {
        shape.bindTooltip(el("span", "", fill(T.district, {
          name: d.name, share: percent.format(row.covered_share), stations: number.format(row.stations)
        })), { sticky: true });
      }
    });
    group.addTo(map);
    group.bringToBack();
  }

  function summariseCoverage(coverage) {
    document.getElementById("coverage-summary").textContent = fill(T.coverage, {
      covered: percent.format(coverage.covered_share),
      uncovered: percent.format(1 - coverage.covered_share),
      radius: locator.distanceText(coverage.radius_m, T)
    });
  }

  function drawSites(sites) {
    var group = sitesGroup = L.featureGroup();
    locator.decode(sites.coords, sites.scale).forEach(function (latlng, i) {
      var marker = L.circleMarker(latlng, {
        radius: 6, weight: 2, color: dark ? "#fff" : "#1a1a1a", fillColor: locator.style().site,
        fillOpacity: 1, interactive: interactive, bubblingMouseEvents: false
      }).addTo(group);
      if (interactive) {
        marker.bindTooltip(el("span", "", fill(T.site, { rank: i + 1, district: sites.districts[i] })));
      }
    });
    group.addTo(map);
    mapEl.dataset.sites = String(sites.districts.length);
  }

  // Sites go on top of the stations: on one canvas, what is added last is drawn last.
  var stationsDrawn = Promise.resolve();
  if (cfg.points) {
    stationsDrawn = new Promise(function (resolve, reject) {
      locator.tiledPoints(cfg.points).follow(map, function (tiles) {
        drawStations(tiles);
        resolve();
      }, function (err) { reject(err); console.error(err); });
    });
  }
  var work = [stationsDrawn.then(function () { if (cfg.sites) { drawSites(cfg.sites); } })];
  if (cfg.coverage) {
    work.push(getJson(cfg.coverage).then(function (coverage) {
      if (cfg.outlines) { drawDistricts(cfg.outlines, coverage); }
      summariseCoverage(coverage);
    }));
  }
  mapEl.setAttribute("aria-busy", "true");
  Promise.all(work).then(function () {
    mapEl.dataset.state = "done";
  }).catch(function (err) {
    mapEl.dataset.state = "error";
    statusEl.textContent = T.failed;
    console.error(err);
  }).then(function () {
    mapEl.removeAttribute("aria-busy");
    postHeight(false);
  });
})(window.locator);
