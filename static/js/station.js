// A station's page (/stations/<id>): its small map (finder-map.js), its report button
// (finder-report.js; the sheet sends at once, or keeps the report until there is signal)
// and the public summary of its recent reports (GET .../reports: counts by kind, comments
// an admin confirmed, "reported closed" and "last confirmed"), put in with textContent.
(function (locator) {
  "use strict";
  var box = document.getElementById("station-map");
  if (box) { locator.finderMap.stationMap(box); }
  var button = document.getElementById("station-report");
  var configEl = document.getElementById("report-config");
  var reports = locator.finderReport && locator.finderReport.setUp({});
  if (!button || !configEl || !reports) { return; }
  var rc = JSON.parse(configEl.textContent);
  var T = rc.text;
  var station = { id: button.dataset.id, name: button.dataset.name,
                  lat: Number(button.dataset.lat), lon: Number(button.dataset.lon) };
  button.addEventListener("click", function () { reports.report.open(station); });

  function flag(id, className, text) {  // a line under the title, unless the server wrote it
    if (document.getElementById(id)) { return; }
    var line = locator.el("p", className, text);
    line.id = id;
    button.parentNode.parentNode.insertBefore(line, button.parentNode);
  }

  function showSummary(s) {
    if (s.reported_closed) {
      flag("station-reported-closed", "reported-closed",
           locator.fill(T.reported_closed, { date: s.reported_closed }));
    }
    if (s.last_confirmed) {
      flag("station-last-confirmed", "last-confirmed",
           locator.fill(T.last_confirmed, { date: s.last_confirmed }));
    }
    var counts = document.getElementById("station-report-counts");
    var comments = document.getElementById("station-report-comments");
    Object.keys(T.kinds).forEach(function (kind) {
      var n = s.counts && s.counts[kind];
      if (n) { locator.add(counts, "li", "", T.kinds[kind] + " × " + n).dataset.kind = kind; }
    });
    (s.comments || []).forEach(function (c) {
      var li = locator.add(comments, "li");
      locator.add(li, "span", "date", c.date + " · ");
      locator.add(li, "span", "kind", (T.kinds[c.kind] || c.kind) + ": ");
      locator.add(li, "q", "comment", c.comment);
    });
    if (counts.children.length || comments.children.length) {
      document.getElementById("station-reports-heading").textContent =
        locator.fill(T.summary, { days: s.days });
      document.getElementById("station-reports").hidden = false;
    }
  }

  if (rc.urls.summary) {
    locator.getJson(rc.urls.summary.replace("__id__", encodeURIComponent(station.id)))
      .then(showSummary)
      .catch(function (err) { console.warn("reports:", err.message); });
  }
})(window.locator);
