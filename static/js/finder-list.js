// The finder's result list and the stations' popups. Everything from data files reaches the
// page through textContent or attribute setters, never as HTML.
(function (locator) {
  "use strict";
  var ICONS = {
    shower: "🚿", hot_water_24h: "♨️", toilet: "🚻", microwave: "🍲", phone_charging: "🔌",
    ebike_charging: "🛵", laundry: "🧺", truck_parking: "🚚", food: "🍜", lockers: "🔐",
    drinking_water: "🚰", rest_area: "🪑", wifi: "📶", first_aid: "🩹", air_conditioning: "❄️"
  };
  var MAX_TAGS = 8;

  // The list in #results with its count in #result-count. cfg is the finder's config;
  // showOnMap(id) is called by a result's "show on map" button.
  function resultList(cfg, showOnMap) {
    var el = locator.el, add = locator.add, fill = locator.fill;
    var T = cfg.text;
    var LABELS = {};  // amenity key -> label; cfg.amenities is [key, label] pairs in order
    cfg.amenities.forEach(function (pair) { LABELS[pair[0]] = pair[1]; });
    var list = document.getElementById("results");
    var count = document.getElementById("result-count");

    function stationUrl(id) { return locator.finderUrl.stationUrl(cfg, id); }
    function openText(p) { return T["open_" + p.open_now] || T.open_unknown; }
    function kindText(p) { return cfg.kinds[p.kind] || p.kind; }

    function etaText(p) {
      var mode = p.kind === "driver_home" ? "truck" : "ebike";
      var minutes = Math.max(1, Math.round(p.estimates[mode].minutes));
      return fill(T[mode], { min: minutes });
    }

    function amenityTags(parent, amenities) {
      var yes = cfg.amenities.map(function (pair) { return pair[0]; })
        .filter(function (k) { return amenities[k] === "yes"; });
      if (!yes.length) { return; }
      var tags = add(parent, "ul", "tags");
      tags.setAttribute("aria-label", T.amenities);
      yes.slice(0, MAX_TAGS).forEach(function (key) {
        var tag = add(tags, "li");
        tag.dataset.amenity = key;
        add(tag, "span", "icon", (ICONS[key] || "✓") + " ").setAttribute("aria-hidden", "true");
        tag.appendChild(document.createTextNode(LABELS[key]));
      });
      if (yes.length > MAX_TAGS) {
        add(tags, "li", "", fill(T.more_amenities, { n: yes.length - MAX_TAGS }));
      }
    }

    function navButtons(parent, links) {
      cfg.nav.forEach(function (pair) {
        var app = pair[0], url = links[app];
        if (!url || url.indexOf("https://") !== 0) { return; }
        var a = add(parent, "a", "button nav", pair[1]);
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.dataset.app = app;
      });
    }

    function resultItem(f) {
      var p = f.properties;
      var li = el("li", "result");
      li.dataset.id = p.id;
      var link = add(add(li, "h3"), "a", "", p.name);
      link.href = stationUrl(p.id);
      var line = add(li, "p", "meta");
      add(line, "span", "distance", locator.distanceText(p.distance_m, T));
      line.appendChild(document.createTextNode(" · "));
      add(line, "span", "eta", etaText(p));
      line = add(li, "p", "meta");
      add(line, "span", "kind", kindText(p));
      line.appendChild(document.createTextNode(" · "));
      add(line, "span", "open open-" + p.open_now, openText(p));
      if (p.address) { add(li, "p", "address", p.address); }
      amenityTags(li, p.amenities);
      var actions = add(li, "div", "actions");
      actions.setAttribute("role", "group");
      actions.setAttribute("aria-label", T.navigate + ": " + p.name);
      var show = add(actions, "button", "show", T.show_on_map);
      show.type = "button";
      show.addEventListener("click", function () { showOnMap(p.id); });
      navButtons(actions, p.links);
      return li;
    }

    // A station's popup on the map, from its GeoJSON properties.
    function popup(p) {
      var box = el("div", "popup");
      add(box, "h3", "", p.name);
      add(box, "p", "", kindText(p));
      if (p.distance_m !== undefined) {
        add(box, "p", "", locator.distanceText(p.distance_m, T) + " · " + openText(p));
      }
      add(box, "a", "", T.details).href = stationUrl(p.id);
      return box;
    }

    function loading() {
      list.dataset.state = "loading";
      list.setAttribute("aria-busy", "true");
      count.textContent = T.searching;
    }

    function show(fc, query) {
      list.textContent = "";
      fc.features.forEach(function (f) { list.appendChild(resultItem(f)); });
      count.textContent = fc.numberMatched === 0 ? T.none
        : fill(T.count, { matched: fc.numberMatched, shown: fc.numberReturned });
      list.dataset.query = query;
      list.dataset.state = "done";
      list.removeAttribute("aria-busy");
    }

    function failed() {
      list.dataset.state = "error";
      list.removeAttribute("aria-busy");
      count.textContent = T.error;
    }

    return { loading: loading, show: show, failed: failed, popup: popup };
  }

  locator.finderList = { resultList: resultList };
})(window.locator = window.locator || {});
