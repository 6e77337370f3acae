// Reports on a station and "there should be a station here", on the finder and a
// station's page: the report sheet (#report-sheet: tap a fact and it is sent; the amenity
// facts ask which amenity first), the suggestion sheet (#suggest-sheet: a point, what was
// needed, send) and the outbox: what cannot be sent now (no signal) waits in localStorage
// and goes when the network returns. Text from data or from reporters goes in through
// textContent only. Settings and words come from #report-config.
(function (locator) {
  "use strict";
  var OUTBOX = "locator.outbox";
  var RETRY_MS = 30000;
  var CLAIM_MS = 60000;  // an outbox item on its way is left alone this long by others
  var CLOSE_AFTER_MS = 1500;

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // --- the outbox --------------------------------------------------------------------------
  function outbox(T, statusEl) {
    var sending = false, timer = null;

    function read() {
      var s = store();
      try { return s ? JSON.parse(s.getItem(OUTBOX) || "[]") : []; } catch (e) { return []; }
    }
    function write(items) {
      var s = store();
      if (s) { s.setItem(OUTBOX, JSON.stringify(items)); }
      show(items);
    }
    function show(items) {
      if (!statusEl) { return; }
      statusEl.textContent = items.length ? locator.fill(T.waiting, { n: items.length }) : "";
      statusEl.dataset.count = String(items.length);
    }

    function post(item) {
      return locator.getJson(item.url, { method: "POST",
                                         headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify(item.body) });
    }

    // Send what waits, oldest first; stop at the first network error (still no signal).
    // A refusal (4xx but 429) is dropped: the server will not take it later either. Each
    // item is marked while it is on its way, so that another tab (or this page after a
    // reload) leaves it alone for CLAIM_MS; a send cut off by a reload is retried after.
    function flush() {
      if (sending || navigator.onLine === false) { return Promise.resolve(); }
      var now = Date.now();
      var mine = read().filter(function (item) { return !(item.claimed > now - CLAIM_MS); });
      if (!mine.length) { return Promise.resolve(); }
      sending = true;
      update(mine, function (item) { item.claimed = now; return item; });
      var sent = 0;
      function next(i) {
        if (i >= mine.length) { return Promise.resolve(); }
        var item = mine[i];
        return post(item).then(function () {
          sent++;
          update([item], function () { return null; });
          return next(i + 1);
        }, function (err) {
          if (err.status && err.status < 500 && err.status !== 429) {
            update([item], function () { return null; });
            return next(i + 1);
          }
          update(mine.slice(i), function (left) { delete left.claimed; return left; });
          return null;
        });
      }
      return next(0).then(function () {
        sending = false;
        if (sent && statusEl) { statusEl.textContent = locator.fill(T.sent_waiting, { n: sent }); }
      });
    }

    // Apply change (item -> item, or null to drop it) to the stored items among these.
    function update(these, change) {
      var ids = these.map(function (item) { return item.id; });
      write(read().map(function (item) {
        return ids.indexOf(item.id) >= 0 ? change(item) : item;
      }).filter(function (item) { return item !== null; }));
    }

    function add(url, body) {
      var items = read();
      items.push({ id: now36() + Math.random().toString(36).slice(2), url: url, body: body,
                   at: new Date().toISOString() });
      write(items);
      schedule();
    }

    function now36() { return Date.now().toString(36); }

    function schedule() {
      clearInterval(timer);
      if (read().length) { timer = setInterval(flush, RETRY_MS); }
    }

    window.addEventListener("online", function () { flush(); });
    show(read());
    schedule();
    return { add: add, flush: flush, count: function () { return read().length; } };
  }

  // POST body to url now, or put it in the outbox when there is no network. say(text,
  // state) reports: "sent", "queued" or "error" (the server's message, e.g. over the limit).
  function sender(box, T) {
    return function send(url, body, say) {
      if (navigator.onLine === false) {
        box.add(url, body);
        say(T.queued, "queued");
        return Promise.resolve("queued");
      }
      return locator.getJson(url, { method: "POST",
                                    headers: { "Content-Type": "application/json" },
                                    body: JSON.stringify(body) })
        .then(function () { say(T.sent, "sent"); return "sent"; }, function (err) {
          if (err.status === undefined) {  // no answer at all: keep it for later
            box.add(url, body);
            say(T.queued, "queued");
            return "queued";
          }
          say(locator.fill(T.error, { error: err.message }), "error");
          return "error";
        });
    };
  }

  function openSheet(sheet) {
    if (typeof sheet.showModal === "function") { sheet.showModal(); } else { sheet.open = true; }
  }

  // --- the report sheet ----------------------------------------------------------------
  // station: {id, name, lat, lon}; near(station) is true/false (within 200 m of the
  // reporter's own position) or null when unknown (then not sent).
  function reportSheet(rc, send, near) {
    var sheet = document.getElementById("report-sheet");
    if (!sheet) { return null; }
    var T = rc.text;
    var title = sheet.querySelector("#report-station");
    var status = sheet.querySelector("#report-status");
    var comment = sheet.querySelector("#report-comment");
    var honeypot = sheet.querySelector("#report-website");
    var kinds = sheet.querySelector("#report-kinds");
    var which = sheet.querySelector("#report-which");
    var station = null, kind = null, closer = null;

    function say(text, state) {
      status.textContent = text;
      status.dataset.state = state;
      if (state !== "error") {
        clearTimeout(closer);
        closer = setTimeout(function () { sheet.close(); }, CLOSE_AFTER_MS);
      }
    }

    function setBusy(busy) {
      sheet.querySelectorAll("[data-report], [data-report-amenity]").forEach(function (b) {
        b.disabled = busy;
      });
    }

    function submit(amenity) {
      var body = { kind: kind, website: honeypot.value };
      if (amenity) { body.amenity = amenity; }
      var text = comment.value.trim();
      if (text) { body.comment = text.slice(0, 280); }
      var isNear = near(station);
      if (isNear !== null) { body.near = isNear; }
      setBusy(true);
      status.textContent = T.sending;
      status.dataset.state = "sending";
      var url = rc.urls.report.replace("__id__", encodeURIComponent(station.id));
      send(url, body, say).then(function () { setBusy(false); });
    }

    sheet.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b || b.disabled) { return; }
      if (b.dataset.report) {
        kind = b.dataset.report;
        if (b.dataset.needsAmenity) {  // which amenity: a second small choice
          kinds.hidden = true;
          which.hidden = false;
          which.querySelector("button").focus();
          return;
        }
        submit(null);
      } else if (b.dataset.reportAmenity) {
        submit(b.dataset.reportAmenity);
      } else if (b.classList.contains("sheet-close")) {
        sheet.close();
      }
    });

    function open(s) {
      station = s;
      kind = null;
      clearTimeout(closer);
      title.textContent = s.name;
      status.textContent = "";
      delete status.dataset.state;
      comment.value = "";
      kinds.hidden = false;
      which.hidden = true;
      setBusy(false);
      openSheet(sheet);
    }
    return { open: open };
  }

  // --- the suggestion sheet --------------------------------------------------------------
  // position() is the finder's chosen point ({lat, lon} or null); pickOnMap(done) asks for
  // a tap on the map and calls done(lat, lon).
  function suggestSheet(rc, send, position, pickOnMap) {
    var sheet = document.getElementById("suggest-sheet");
    var start = document.getElementById("suggest-start");
    if (!sheet || !start) { return null; }
    var T = rc.text;
    var where = sheet.querySelector("#suggest-where");
    var status = sheet.querySelector("#suggest-status");
    var honeypot = sheet.querySelector("#suggest-website");
    var sendButton = sheet.querySelector("#suggest-send");
    var point = null, closer = null;

    function showPoint() {
      where.textContent = point
        ? locator.fill(T.suggest_at, { lat: point.lat.toFixed(5), lon: point.lon.toFixed(5) })
        : T.suggest_no_point;
      sendButton.disabled = !point;
    }

    function open(at) {
      point = at;
      clearTimeout(closer);
      status.textContent = "";
      delete status.dataset.state;
      showPoint();
      if (!sheet.open) { openSheet(sheet); }
    }

    function say(text, state) {
      status.textContent = text;
      status.dataset.state = state;
      if (state !== "error") {
        closer = setTimeout(function () { sheet.close(); }, CLOSE_AFTER_MS);
      }
    }

    start.addEventListener("click", function () { open(position()); });
    sheet.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b) { return; }
      if (b.id === "suggest-pick") {
        sheet.close();
        pickOnMap(function (lat, lon) { open({ lat: lat, lon: lon }); });
      } else if (b.classList.contains("sheet-close")) {
        sheet.close();
      } else if (b === sendButton) {
        var needs = [];
        sheet.querySelectorAll("input[name=need]:checked").forEach(function (c) {
          needs.push(c.value);
        });
        if (!needs.length) { say(T.suggest_needs, "error"); return; }
        var body = { lon: Math.round(point.lon * 1e6) / 1e6, lat: Math.round(point.lat * 1e6) / 1e6,
                     needs: needs, website: honeypot.value };
        sendButton.disabled = true;
        send(rc.urls.suggest, body, say).then(function () { sendButton.disabled = false; });
      }
    });
    return { open: open };
  }

  // Everything at once; returns {report: sheet or null, suggest: sheet or null, outbox}.
  function setUp(options) {
    var configEl = document.getElementById("report-config");
    if (!configEl) { return null; }
    var rc = JSON.parse(configEl.textContent);
    var box = outbox(rc.text, document.getElementById("outbox-status"));
    var send = sender(box, rc.text);
    box.flush();
    return {
      report: reportSheet(rc, send, options.near || function () { return null; }),
      suggest: options.position
        ? suggestSheet(rc, send, options.position, options.pickOnMap) : null,
      outbox: box
    };
  }

  locator.finderReport = { setUp: setUp };
})(window.locator = window.locator || {});
