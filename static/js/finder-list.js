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
  // Below this width the results sit under the controls and the map (see site.css).
  var PHONE = "(max-width: 59.99em)";

  // The list in #results with its count in #result-count. cfg is the finder's config;
  // showOnMap(id) is called by a result's "show on map" button, report({id, name, lat,
  // lon}) by its "report" button.
  function resultList(cfg, showOnMap, report) {
    var el = locator.el, add = locator.add, fill = locator.fill;
    var T = cfg.text;
    var LABELS = {};  // amenity key -> label; cfg.amenities is [key, label] pairs in order
    cfg.amenities.forEach(function (pair) { LABELS[pair[0]] = pair[1]; });
    var list = document.getElementById("results");
    var count = document.getElementById("result-count");
    var section = list.closest(".results");
    var heading = document.getElementById("results-heading");
    var revealing = false;  // a user's search: bring its results into view when they come
    var origin = null;  // the position of the results shown ({lat, lon}), for station links

    function stationUrl(id) { return locator.finderUrl.stationUrl(cfg, id, origin); }
    function openText(p) { return T["open_" + p.open_now] || T.open_unknown; }
    function kindText(p) { return cfg.kinds[p.kind] || p.kind; }

    // Walking, and e-bike (or truck, to a driver's home), in whole minutes.
    function etaTexts(p) {
      var modes = ["walk", p.kind === "driver_home" ? "truck" : "ebike"];
      return modes.map(function (mode) {
        var minutes = Math.max(1, Math.round(p.estimates[mode].minutes));
        return [mode, fill(T[mode + "_min"], { min: minutes })];
      });
    }

    // Opening hours in words in the page's language (the raw expression where words fail).
    function hoursText(p) {
      var words = p.opening_hours_text;
      return words ? (words[cfg.lang] || words.zh) : "";
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
      if (cfg.lang === "en" && p.name_pinyin) {  // how the Chinese name is read
        add(li, "p", "name-pinyin", p.name_pinyin).setAttribute("lang", "zh-Latn-pinyin");
      }
      var line = add(li, "p", "meta");
      add(line, "span", "distance", locator.distanceText(p.distance_m, T));
      etaTexts(p).forEach(function (pair) {
        line.appendChild(document.createTextNode(" · "));
        add(line, "span", "eta eta-" + pair[0], pair[1]);
      });
      line = add(li, "p", "meta");
      add(line, "span", "kind", kindText(p));
      line.appendChild(document.createTextNode(" · "));
      add(line, "span", "open open-" + p.open_now, openText(p));
      var hours = hoursText(p);
      if (hours) {
        line = add(li, "p", "hours");
        add(line, "span", "label", T.hours + ": ");
        add(line, "span", "", hours);
      }
      if (p.address) { add(li, "p", "address", p.address); }
      if (p.reported_closed) {
        add(li, "p", "reported-closed", fill(T.reported_closed, { date: p.reported_closed }));
      }
      if (p.last_confirmed) {
        add(li, "p", "last-confirmed", fill(T.last_confirmed, { date: p.last_confirmed }));
      }
      amenityTags(li, p.amenities);
      var actions = add(li, "div", "actions");
      actions.setAttribute("role", "group");
      actions.setAttribute("aria-label", T.navigate + ": " + p.name);
      var show = add(actions, "button", "show", T.show_on_map);
      show.type = "button";
      show.addEventListener("click", function () { showOnMap(p.id); });
      if (report) {
        var c = f.geometry.coordinates;
        var tell = add(actions, "button", "report-button", T.report);
        tell.type = "button";
        tell.setAttribute("aria-label", T.report + ": " + p.name);
        tell.addEventListener("click", function () {
          report({ id: p.id, name: p.name, lat: c[1], lon: c[0] });
        });
      }
      navButtons(actions, p.links || {});
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

    // On a phone the results are below the controls and the map: scroll them to the top
    // of the screen and move the focus to their heading. Wider screens keep their layout:
    // the list is in the side panel, beside the map.
    function bringIntoView() {
      if (!window.matchMedia(PHONE).matches) { return; }
      section.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    }

    // A search the user asked for: show its busy state now and its results when they come.
    function reveal() {
      revealing = true;
      bringIntoView();
    }

    function settled() {
      section.classList.remove("is-busy");
      list.removeAttribute("aria-busy");
      if (revealing) { revealing = false; bringIntoView(); }
    }

    function loading() {
      list.dataset.state = "loading";
      list.setAttribute("aria-busy", "true");
      section.classList.add("is-busy");
      count.textContent = T.searching;
    }

    function show(fc, query) {
      var at = fc.query || {};
      origin = typeof at.lat === "number" ? { lat: at.lat, lon: at.lon } : null;
      list.textContent = "";
      fc.features.forEach(function (f) { list.appendChild(resultItem(f)); });
      if (fc.numberMatched === 0) {
        count.textContent = T.none;
      } else if (fc.confirmedMonths) {  // filtered here: how many matched is not known
        count.textContent = fill(T.count_confirmed, { shown: fc.numberReturned,
                                                       months: fc.confirmedMonths });
      } else {
        count.textContent = fill(T.count, { matched: fc.numberMatched, shown: fc.numberReturned });
      }
      list.dataset.source = fc.offline ? "offline" : "network";
      list.dataset.query = query;
      list.dataset.state = "done";
      settled();
    }

    function failed(text) {
      list.dataset.state = "error";
      count.textContent = text || T.error;
      settled();
    }

    return { loading: loading, show: show, failed: failed, popup: popup, reveal: reveal };
  }

  locator.finderList = { resultList: resultList };
})(window.locator = window.locator || {});
