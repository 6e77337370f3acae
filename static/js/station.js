// A station's page (/stations/<id>): its small map (finder-map.js) and its report button
// (finder-report.js; the sheet sends at once, or keeps the report until there is signal).
(function (locator) {
  "use strict";
  var box = document.getElementById("station-map");
  if (box) { locator.finderMap.stationMap(box); }
  var button = document.getElementById("station-report");
  var reports = locator.finderReport && locator.finderReport.setUp({});
  if (button && reports && reports.report) {
    button.addEventListener("click", function () {
      reports.report.open({ id: button.dataset.id, name: button.dataset.name,
                            lat: Number(button.dataset.lat), lon: Number(button.dataset.lon) });
    });
  }
})(window.locator);
