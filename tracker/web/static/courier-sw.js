// The courier's service worker, served as /courier/sw.js so that its scope is the courier's
// pages. It keeps those pages and the assets they load, so a page opened or reloaded without a
// link still shows its scan box, and the scans typed into it are kept by courier.js until the
// link returns. Pages and assets come from the network first and from this cache only when the
// network fails; nothing a page sends is kept or answered here.
"use strict";

var CACHE = "hoso-courier-1";
var SCOPE = new URL(self.registration.scope);
var STATIC = new URL("../static/", SCOPE);
var ASSETS = ["hoso.css", "courier.css", "courier.js", "htmx.min.js", "favicon.svg"];

function isPage(url) {
  return url.origin === SCOPE.origin && url.pathname.indexOf(SCOPE.pathname) === 0 &&
    !url.search && !/\.(pdf|js)$/.test(url.pathname);
}

function keepPage(request, answer) {
  var type = answer.headers.get("Content-Type") || "";
  if (answer.ok && !answer.redirected && type.indexOf("text/html") === 0) {
    var copy = answer.clone();
    return caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
  }
  return Promise.resolve();
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS.map(function (name) { return new URL(name, STATIC).href; }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("hoso-courier") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// A page asks to be kept: one opened before this worker ran (fetched again here), or one whose
// scans changed it (its HTML sent along, so no second request crosses a slow link).
self.addEventListener("message", function (event) {
  var wanted = event.data && event.data.keep;
  if (typeof wanted !== "string") { return; }
  var url = new URL(wanted);
  if (!isPage(url)) { return; }
  var html = event.data.html;
  var answer = typeof html === "string"
    ? Promise.resolve(new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}}))
    : fetch(url.href, {credentials: "same-origin"});
  event.waitUntil(answer.then(function (page) { return keepPage(url.href, page); })
    .catch(function () { /* no link: kept at the next visit */ }));
});

function fromCache(request, fallback) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (found) {
      return found || (fallback ? cache.match(fallback) : undefined);
    });
  }).then(function (found) { return found || Response.error(); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(fetch(request).then(function (answer) {
      event.waitUntil(keepPage(request, answer));
      return answer;
    }, function () { return fromCache(request, SCOPE.href); }));
  } else if (request.mode === "navigate" && url.origin === SCOPE.origin &&
             url.pathname.indexOf(SCOPE.pathname) === 0 && url.search) {
    event.respondWith(fetch(request).catch(function () { return fromCache(request, SCOPE.href); }));
  } else if (url.origin === SCOPE.origin && url.pathname.indexOf(STATIC.pathname) === 0) {
    event.respondWith(fetch(request).then(function (answer) {
      if (answer.ok) {
        var copy = answer.clone();
        event.waitUntil(caches.open(CACHE).then(function (cache) {
          return cache.put(request, copy);
        }));
      }
      return answer;
    }, function () { return fromCache(request, null); }));
  }
});
