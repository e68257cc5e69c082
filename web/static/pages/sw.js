/* Service worker for the informant form: the form opens even with no network, and then
 * its queue (in localStorage) sends the saved reports once the network is back.
 * HTML and the region list: network first, cache as fallback. Versioned assets: cache
 * first (their URL changes with their content). API calls other than regions: untouched. */
'use strict';
var CACHE = 'minqing-{{v}}';
var SHELL = ['/', '/ui/css/app.css?v={{v}}', '/ui/js/i18n.js?v={{v}}', '/ui/js/ui.js?v={{v}}',
  '/ui/js/api.js?v={{v}}', '/ui/js/form.js?v={{v}}', '/api/v1/regions'];

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
function networkFirst(req) {
  return fetch(req).then(function (res) {
    if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(req, copy); }); }
    return res;
  }, function () { return caches.match(req, { ignoreSearch: true }); });
}
self.addEventListener('fetch', function (ev) {
  var req = ev.request, url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === '/' || url.pathname === '/api/v1/regions') { ev.respondWith(networkFirst(req)); return; }
  if (url.pathname.indexOf('/ui/') === 0) {
    ev.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
  }
});
