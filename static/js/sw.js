// The finder's service worker. locator/web/offline.py serves it as /sw.js (so its scope
// covers the finder) with one line before this file: self.LOCATOR_SW = {version, shell,
// finder, offline, cached_api}. What it keeps, and nothing else:
// * the shell: the static files of the finder, cached on install, in a cache named by the
//   version (a hash of those files), so a changed file brings a new worker and cache;
// * the finder's page, per language and tile setting, answered from the network first;
// * the public GET data of the finder: the offline copy of the stations (S.offline), the
//   map's points and the amenity vocabulary (S.cached_api), in a cache named by the
//   dataset version the server reports; a new version replaces the old cache whole.
// Nothing that may be personal is ever cached: only the paths above, only GET, only this
// site, and never a path in NEVER (plans, admin, accounts, sign-in, tokens).
(function () {
  "use strict";
  var S = self.LOCATOR_SW;
  var SHELL = "locator-shell-" + S.version;
  var PAGES = "locator-pages-" + S.version;
  var DATA = "locator-data-v";  // + the dataset version
  var NETWORK_WAIT_MS = 4000;  // one bar of signal: answer from the cache after this
  var NEVER = /^\/(api\/v1\/(plans|tokens|account|admin)|admin|account|login|logout|sign-?in)\b|token/i;

  function cacheable(url) {
    if (url.origin !== self.location.origin || NEVER.test(url.pathname)) { return null; }
    if (S.shell.indexOf(url.pathname) >= 0) { return "shell"; }
    if (url.pathname === S.finder) { return "page"; }
    if (url.pathname === S.offline) { return "offline"; }
    if (S.cached_api.indexOf(url.pathname) >= 0) { return "data"; }
    return null;
  }

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(S.shell); })
      .then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return (n.indexOf("locator-shell-") === 0 && n !== SHELL) ||
               (n.indexOf("locator-pages-") === 0 && n !== PAGES);
      }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); }));
  });

  // fetch, but give up after NETWORK_WAIT_MS (the request may still finish in the background).
  function network(request) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("slow network")); }, NETWORK_WAIT_MS);
      fetch(request).then(function (r) { clearTimeout(timer); resolve(r); },
                          function (e) { clearTimeout(timer); reject(e); });
    });
  }

  // A copy of response that says when it was saved (the finder shows the age of its data).
  function stamped(response) {
    return response.clone().blob().then(function (body) {
      var headers = new Headers(response.headers);
      headers.set("X-Locator-Saved", new Date().toISOString());
      return new Response(body, { status: response.status, statusText: response.statusText,
                                  headers: headers });
    });
  }

  function dataCaches() {  // the names of the data caches, newest version first
    return caches.keys().then(function (names) {
      return names.filter(function (n) { return n.indexOf(DATA) === 0; }).sort(function (a, b) {
        return Number(b.slice(DATA.length)) - Number(a.slice(DATA.length));
      });
    });
  }

  // Keep response in the cache of dataset version (null: the newest cache there is) and,
  // when the version is new, drop the caches of every other version.
  function keepData(request, response, version) {
    return Promise.all([stamped(response), dataCaches()]).then(function (found) {
      var copy = found[0], names = found[1];
      var name = version === null ? (names[0] || DATA + "0") : DATA + version;
      return caches.open(name).then(function (c) { return c.put(request, copy); })
        .then(function () {
          if (version === null) { return null; }
          return Promise.all(names.filter(function (n) { return n !== name; })
            .map(function (n) { return caches.delete(n); }));
        });
    });
  }

  function versionOf(kind, response) {  // the dataset version an answer comes from, if it says
    if (kind === "offline") {
      return response.clone().json().then(function (body) {
        return body && body.dataset && body.dataset.version !== undefined
          ? String(body.dataset.version) : null;
      }).catch(function () { return null; });
    }
    var tag = /-v(\d+)\b/.exec(response.headers.get("ETag") || "");
    return Promise.resolve(tag ? tag[1] : null);
  }

  function fromCaches(request, names, ignoreSearch) {
    return names.reduce(function (found, name) {
      return found.then(function (r) {
        return r || caches.open(name).then(function (c) {
          return c.match(request, { ignoreSearch: ignoreSearch });
        });
      });
    }, Promise.resolve(undefined));
  }

  function dataFirstFromNetwork(request, kind) {
    return network(request).then(function (response) {
      if (response.ok) {
        return versionOf(kind, response).then(function (v) {
          return keepData(request, response.clone(), v);
        }).then(function () { return response; });
      }
      return response;
    }).catch(function (err) {
      return dataCaches().then(function (names) { return fromCaches(request, names, false); })
        .then(function (r) { if (r) { return r; } throw err; });
    });
  }

  // The finder's page: one copy per language and tile setting (the position and filters
  // in the URL are read by the page's script).
  function pageKey(url) {
    var q = new URLSearchParams(url.search), key = new URLSearchParams();
    ["lang", "tiles"].forEach(function (k) { if (q.get(k)) { key.set(k, q.get(k)); } });
    return url.origin + url.pathname + (key.toString() ? "?" + key.toString() : "");
  }

  function page(request) {
    var key = pageKey(new URL(request.url));
    return network(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(PAGES).then(function (c) { return c.put(key, copy); });
      }
      return response;
    }).catch(function (err) {
      return caches.open(PAGES).then(function (c) {
        return c.match(key).then(function (r) {
          return r || c.match(S.finder, { ignoreSearch: true });
        });
      }).then(function (r) { if (r) { return r; } throw err; });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") { return; }
    var kind = cacheable(new URL(request.url));
    if (kind === "shell") {
      event.respondWith(caches.open(SHELL).then(function (c) { return c.match(request); })
        .then(function (r) { return r || fetch(request); }));
    } else if (kind === "page") {
      event.respondWith(page(request));
    } else if (kind === "offline" || kind === "data") {
      event.respondWith(dataFirstFromNetwork(request, kind));
    }
  });
})();
