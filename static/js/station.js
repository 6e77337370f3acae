// A station's page (/stations/<id>): its small map (finder-map.js).
(function (locator) {
  "use strict";
  var box = document.getElementById("station-map");
  if (box) { locator.finderMap.stationMap(box); }
})(window.locator);
