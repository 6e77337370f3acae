// The planner page (/planner): start a plan through the plans API and follow its progress,
// then draw its coverage curve (inline SVG). The embed code is written by the server (from
// LOCATOR_PUBLIC_URL). The map itself is folium's (locator/maps/folium_map.py, with
// planner-map.js). Text reaches the page via textContent.
(function (locator) {
  "use strict";
  var fill = locator.fill, getJson = locator.getJson;
  var SVG = "http://www.w3.org/2000/svg";
  var POLL_MS = 500;
  var cfg = JSON.parse(document.getElementById("planner-config").textContent);
  var T = cfg.text;
  var form = document.getElementById("plan-form");
  var startButton = document.getElementById("start-plan");
  var progressBox = document.getElementById("plan-progress");
  var bar = document.getElementById("progress-bar");
  var statusLine = document.getElementById("plan-status");
  var elapsedLine = document.getElementById("plan-elapsed");
  var warning = document.getElementById("plan-warning");
  var field = function (id) { return document.getElementById(id); };
  var busy = false;  // a plan is being sent or followed
  var blocked = warning.hidden ? null : warning.textContent;  // the server's reason, at first
  var checkTimer = null, checkSeq = 0;

  function say(state, text, fraction) {
    progressBox.dataset.state = state;
    statusLine.textContent = text;
    bar.hidden = fraction === null;
    if (fraction !== null) { bar.value = fraction; }
  }

  function planPageUrl(id) {
    var here = new URLSearchParams(window.location.search), q = new URLSearchParams();
    q.set("plan", id);
    ["tiles", "lang"].forEach(function (key) { if (here.get(key)) { q.set(key, here.get(key)); } });
    if (!q.get("tiles")) { q.set("tiles", cfg.query.tiles); }
    return window.location.pathname + "?" + q.toString();
  }

  // --- the settings: kind and radius follow the region; no plan without stations or coverage
  function selectedText(id) {
    var select = field(id);
    return select.options[select.selectedIndex] ? select.options[select.selectedIndex].text : "";
  }

  function settings() {
    var data = new FormData(form);
    return { region: String(data.get("region")), kind: String(data.get("kind")),
             radius_m: Number(data.get("radius_m")), amenities: data.getAll("amenities").map(String).sort() };
  }

  function block(reason) {
    blocked = reason;
    warning.hidden = !reason;
    warning.textContent = reason || "";
    updateStart();
  }

  function updateStart() {
    startButton.disabled = !cfg.csrf || busy || !!blocked;
  }

  function reasonText(key, s) {
    return fill(T[key], { kind: selectedText("kind"), region: selectedText("region"),
                          radius: String(Math.round(s.radius_m)).replace(/\B(?=(\d{3})+(?!\d))/g, ",") });
  }

  // The same settings as the coverage on the page: its numbers decide. Otherwise the
  // station counts per region decide at once, and the coverage API the rest.
  function check() {
    var s = settings(), shown = cfg.shown, known = cfg.regions[s.region] || null;
    clearTimeout(checkTimer);
    checkSeq += 1;
    if (known && known.stations[s.kind] === 0) { block(reasonText("no_stations", s)); return; }
    if (s.region === shown.region && s.kind === shown.kind && s.radius_m === shown.radius_m &&
        s.amenities.join(",") === shown.amenities.join(",")) {
      block(shown.stations === 0 ? reasonText("no_stations", s)
            : shown.covered_share <= 0 ? reasonText("no_coverage", s) : null);
      return;
    }
    if (!(s.radius_m > 0)) { block(null); return; }
    block(T.checking);
    var seq = checkSeq;
    checkTimer = setTimeout(function () {
      var q = new URLSearchParams({ region: s.region, kind: s.kind, radius_m: String(s.radius_m) });
      if (s.amenities.length) { q.set("amenities", s.amenities.join(",")); }
      getJson(cfg.urls.coverage + "?" + q.toString(), { headers: { "Accept": "application/json" } })
        .then(function (found) {
          if (seq !== checkSeq) { return; }
          block(found.covered_share > 0 ? null : reasonText("no_coverage", s));
        })
        .catch(function (err) {  // no answer (busy, offline): do not block on a guess
          console.warn(err);
          if (seq === checkSeq) { block(null); }
        });
    }, 400);
  }

  function followRegion() {
    var known = cfg.regions[field("region").value];
    if (known) {
      field("kind").value = known.kind;
      var radius = field("radius_m");
      radius.max = String(Math.round(known.max_radius_m));
      radius.value = String(Math.round(known.radius_m));
    }
    check();
  }

  // --- starting a plan -------------------------------------------------------------------
  function parseQuotas(text) {
    var quotas = {};
    text.split(/\r?\n/).forEach(function (line, i) {
      if (!line.trim()) { return; }
      var parts = line.split(/[,，\t]/).map(function (s) { return s.trim(); });
      var bound = function (s) { return s === "" || s === undefined ? null : Number(s); };
      var lo = bound(parts[1]), hi = bound(parts[2]);
      if (!parts[0] || parts.length > 3 || [lo, hi].some(function (v) {
        return v !== null && !(Number.isInteger(v) && v >= 0);
      })) {
        throw new Error(fill(T.bad_quota, { line: i + 1 }));
      }
      quotas[parts[0]] = [lo, hi];
    });
    return quotas;
  }

  function planBody() {
    var data = new FormData(form);
    var body = {
      region: data.get("region"),
      kind: data.get("kind"),
      radius_m: Number(data.get("radius_m")),
      new: Number(data.get("new")),
      amenities: data.getAll("amenities"),
      quotas: parseQuotas(String(data.get("quotas") || ""))
    };
    if (data.get("time_limit_s")) { body.time_limit_s = Number(data.get("time_limit_s")); }
    if (Number(data.get("suggestion_weight")) > 0) {
      body.suggestion_weight = Number(data.get("suggestion_weight"));
    }
    return body;
  }

  // JSON, or a multipart form when the planner chose files (the API takes the same fields).
  function planRequest(body) {
    var chosen = ["demand", "candidates", "exclusions"].filter(function (name) {
      return document.getElementById(name + "-file").files.length > 0;
    });
    if (!chosen.length) {
      return {
        method: "POST",
        headers: withCsrf({ "Content-Type": "application/json", "Accept": "application/json" }),
        body: JSON.stringify(body)
      };
    }
    var data = new FormData(), crs = document.getElementById("files-crs").value;
    Object.keys(body).forEach(function (key) {
      var value = body[key];
      if (key === "quotas") { value = JSON.stringify(value); }
      data.append(key, Array.isArray(value) ? value.join(",") : String(value));
    });
    chosen.forEach(function (name) {
      data.append(name, document.getElementById(name + "-file").files[0]);
      if (crs) { data.append(name + "_crs", crs); }
    });
    return { method: "POST", headers: withCsrf({ "Accept": "application/json" }), body: data };
  }

  // A signed-in planner's session needs the page's CSRF token on every write.
  function withCsrf(headers) {
    if (cfg.csrf) { headers["X-CSRFToken"] = cfg.csrf; }
    return headers;
  }

  function start() {
    if (!form.reportValidity() || blocked) { return; }
    var body;
    try { body = planBody(); } catch (err) { say("failed", err.message, null); return; }
    busy = true;
    updateStart();
    say("starting", T.starting, 0);
    getJson(cfg.urls.plans, planRequest(body))
      .then(function (answer) {
        history.replaceState(null, "", planPageUrl(answer.id));
        poll(answer.id);
      })
      .catch(function (err) {
        busy = false;
        updateStart();
        say("failed", fill(T.error, { error: err.message }), null);
      });
  }

  // --- following a plan ------------------------------------------------------------------
  // Elapsed time counts from the plan's start (the server's clock), or from when this page
  // first saw it running; it moves every second between polls.
  var startedAt = null, clock = null;

  function minutes(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function tickElapsed() {
    if (startedAt === null) { return; }
    elapsedLine.hidden = false;
    elapsedLine.textContent = fill(T.elapsed, { time: minutes((Date.now() - startedAt) / 1000) });
  }

  function runningSince(job) {
    if (startedAt === null) {
      var at = job.started_at ? Date.parse(job.started_at) : NaN;
      startedAt = isNaN(at) || at > Date.now() ? Date.now() : at;
    }
    if (clock === null) { clock = setInterval(tickElapsed, 1000); }
    tickElapsed();
  }

  function stopClock() {
    if (clock !== null) { clearInterval(clock); clock = null; }
  }

  function stageName(key) {
    return Object.prototype.hasOwnProperty.call(cfg.stages, key) ? cfg.stages[key] : key;
  }

  function show(job) {
    if (job.status === "queued") {
      say("queued", T.queued, job.progress ? job.progress.fraction : job.fraction);
    } else if (job.status === "running") {
      var p = job.progress || { stage: job.stage, fraction: job.fraction };
      runningSince(job);
      say("running", fill(T.running, { stage: stageName(p.stage),
                                       percent: Math.round(p.fraction * 100) }), p.fraction);
    } else if (job.status === "failed") {
      busy = false;
      stopClock();
      updateStart();
      say("failed", fill(T.failed, { error: job.error }), null);
    }
  }

  function poll(id) {
    getJson(cfg.urls.status.replace("__id__", encodeURIComponent(id)), {
      headers: { "Accept": "application/json" }
    })
      .then(function (job) {
        if (job.status === "done") {
          stopClock();
          say("done", T.done, 1);
          window.location.replace(planPageUrl(id));
          return;
        }
        show(job);
        if (job.status !== "failed") { setTimeout(function () { poll(id); }, POLL_MS); }
      })
      .catch(function (err) {
        console.warn(err);
        say("running", T.poll_error, null);
        setTimeout(function () { poll(id); }, POLL_MS * 4);
      });
  }

  // --- the coverage curve ----------------------------------------------------------------
  function svg(parent, tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { node.textContent = text; }
    return parent.appendChild(node);
  }

  // The y axis in shares: a round step giving at most 5 intervals, the range snapped to it.
  function niceScale(values) {
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
    var step = steps.filter(function (s) { return Math.max(hi - lo, 0.002) / s <= 4; })[0] || 0.25;
    var bottom = Math.max(0, Math.floor((lo - step / 4) / step) * step);
    var top = Math.min(1, Math.ceil((hi + step / 4) / step) * step);
    return { lo: bottom, hi: top, step: step, digits: step < 0.01 ? 1 : 0 };
  }

  function drawCurve(box, curve) {
    var W = 600, H = 300, L = 64, R = 16, TOP = 16, B = 48;
    var n = curve.length - 1, ys = niceScale(curve);
    var x = function (i) { return L + (n ? i / n : 0) * (W - L - R); };
    var y = function (v) { return H - B - (v - ys.lo) / (ys.hi - ys.lo) * (H - TOP - B); };
    var root = svg(box, "svg", { viewBox: "0 0 " + W + " " + H, role: "img",
                                 "aria-labelledby": "curve-title curve-desc", "data-points": curve.length });
    svg(root, "title", { id: "curve-title" }, T.chart_title);
    svg(root, "desc", { id: "curve-desc" }, T.chart_x + " 0–" + n + "; " + T.chart_y + " " +
        (curve[0] * 100).toFixed(1) + " % → " + (curve[n] * 100).toFixed(1) + " %");
    for (var v = ys.lo; v <= ys.hi + ys.step / 2; v += ys.step) {
      svg(root, "line", { "class": "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) });
      svg(root, "text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" },
          (v * 100).toFixed(ys.digits) + " %");
    }
    var step = Math.max(1, Math.ceil(n / 10));
    for (var i = 0; i <= n; i += step) {
      svg(root, "text", { x: x(i), y: H - B + 18, "text-anchor": "middle" }, String(i));
    }
    svg(root, "line", { "class": "axis", x1: L, x2: W - R, y1: H - B, y2: H - B });
    svg(root, "line", { "class": "axis", x1: L, x2: L, y1: TOP, y2: H - B });
    svg(root, "text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle" }, T.chart_x);
    svg(root, "text", { x: 14, y: (TOP + H - B) / 2, "text-anchor": "middle",
                        transform: "rotate(-90 14 " + (TOP + H - B) / 2 + ")" }, T.chart_y);
    svg(root, "polyline", { "class": "line", points: curve.map(function (v, k) {
      return x(k).toFixed(1) + "," + y(v).toFixed(1);
    }).join(" ") });
    if (n <= 60) {
      curve.forEach(function (v, k) { svg(root, "circle", { "class": "dot", cx: x(k), cy: y(v), r: 3.5 }); });
    }
  }

  startButton.addEventListener("click", start);
  field("region").addEventListener("change", followRegion);
  field("kind").addEventListener("change", check);
  field("radius_m").addEventListener("input", check);
  form.querySelectorAll('input[name="amenities"]').forEach(function (box) {
    box.addEventListener("change", check);
  });
  var plan = cfg.plan;
  if (plan && (plan.status === "queued" || plan.status === "running")) {
    busy = true;
    updateStart();
    show(plan);
    poll(plan.id);
  } else if (plan && plan.status === "done") {
    var box = document.getElementById("curve");
    if (box && plan.curve && plan.curve.length) { drawCurve(box, plan.curve); }
  }
})(window.locator);
