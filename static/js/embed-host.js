// For pages that show locator embeds: include it after the iframe (the embed code does).
// Each embed posts {type: "locator:height", height: N, id?} to its parent whenever its content
// changes size; this sets the height of the iframe that sent it, so the whole map, legend and
// summary show without an inner scroll bar. Only messages from the origin this script came
// from, sent by one of that origin's iframes, are believed.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.URL) { return; }
  var ORIGIN = new URL(script.src, window.location.href).origin;
  var KEY = "locatorEmbedHost " + ORIGIN;
  if (window[KEY]) { return; }  // the snippet is on the page more than once
  window[KEY] = true;
  var MIN_PX = 80, MAX_PX = 4000;

  function embeds() {
    return Array.prototype.filter.call(document.getElementsByTagName("iframe"), function (frame) {
      try {
        return new URL(frame.src, window.location.href).origin === ORIGIN;
      } catch (err) {
        return false;
      }
    });
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== ORIGIN || !data || typeof data !== "object" || data.type !== "locator:height") {
      return;
    }
    var height = Number(data.height);
    if (!isFinite(height)) { return; }
    embeds().forEach(function (frame) {
      if (frame.contentWindow === event.source) {
        frame.style.height = Math.min(MAX_PX, Math.max(MIN_PX, Math.ceil(height))) + "px";
      }
    });
  });

  // Whether the embed's own page is in the frame. Before that the frame holds the host's
  // about:blank, and a message addressed to ORIGIN would only log an origin warning.
  function loaded(frame) {
    try {
      var doc = frame.contentDocument;
      return !!doc && doc.URL !== "about:blank" && doc.readyState === "complete";
    } catch (err) {
      return true;  // a page of another origin, which can only be the embed
    }
  }

  // Embeds that loaded before this script did have posted their height already: ask again.
  // The others post it themselves when they load, so they are left alone.
  function ask() {
    embeds().forEach(function (frame) {
      if (frame.contentWindow && loaded(frame)) {
        frame.contentWindow.postMessage({ type: "locator:ping" }, ORIGIN);
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ask); } else { ask(); }
})();
