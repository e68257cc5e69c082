/* The one place where endpoint paths live. Re-point a path here when a router lands.
 * Every call resolves to the JSON body or rejects with an ApiError {status, zh, en}.
 * status 0 means the request never got an answer (offline, intake down, timeout).
 * Staff pages ride on the session cookie set at sign-in; unsafe requests echo the
 * CSRF cookie in X-CSRF-Token, and a 401 sends the page to /login. An informant's
 * phone sends its device token (from enrollment) with reports and receipt look-ups only. */
(function (MQ) {
  'use strict';
  var enc = encodeURIComponent;
  var P = {
    // intake (producers/intake.py)
    reports: function () { return '/api/v1/reports'; },
    report: function (receipt) { return '/api/v1/reports/' + enc(receipt); },
    alerts: function () { return '/api/v1/alerts'; },
    matter: function (id) { return '/api/v1/matters/' + enc(id); },
    // UI read model (web/routes.py)
    regions: function () { return '/api/v1/regions'; },
    feed: function () { return '/api/v1/alerts/feed'; },
    stream: function () { return '/api/v1/alerts/stream'; },
    trends: function () { return '/api/v1/trends'; },
    map: function () { return '/api/v1/map'; },
    townships: function () { return '/api/v1/townships'; },
    overview: function () { return '/api/v1/overview'; },
    exportList: function (name, fmt) { return '/api/v1/export/' + name + '.' + fmt; },
    // Alert lifecycle (producers/alerts_api.py): keyed on the matter, answered 202 "queued";
    // the worker's verdict is at outcome_url. Each path gets the matter's {alert_id, matter_id}.
    acknowledge: function (c) { return lifecycle(c, 'acknowledge'); },
    assign: function (c) { return lifecycle(c, 'assign'); },
    start: function (c) { return lifecycle(c, 'start'); },
    resolve: function (c) { return lifecycle(c, 'resolve'); },
    follow_up: function (c) { return lifecycle(c, 'follow-up'); },
    close: function (c) { return lifecycle(c, 'close'); },
    reopen: function (c) { return lifecycle(c, 'reopen'); },
    silence: function () { return '/api/v1/silences'; },
    caseFile: function (matterId) { return '/api/v1/matters/' + enc(matterId) + '/file'; },
    inbox: function (recipient) { return '/api/v1/inbox/' + enc(recipient); },
    kpi: function () { return '/api/v1/kpis'; },
    digest: function (leaderId) { return '/api/v1/leaders/' + enc(leaderId) + '/digest'; },
    leaders: function () { return '/api/v1/leaders'; },
    // sign-in and enrollment (producers/auth)
    login: function () { return '/api/v1/auth/login'; },
    logout: function () { return '/api/v1/auth/logout'; },
    me: function () { return '/api/v1/auth/me'; },
    enroll: function () { return '/api/v1/enroll'; },
    // clustering corrections (producers/corrections_api.py): 202 "queued", verdict at outcome_url
    merge: function (c) { return '/api/v1/matters/' + enc(c.matter_id) + '/merge'; },
    moveOut: function (c) { return '/api/v1/matters/' + enc(c.matter_id) + '/move-out'; },
    // risk outcomes
    outcome: function (c) { return '/api/v1/matters/' + enc(c.matter_id) + '/outcome'; }
  };
  function lifecycle(c, slug) { return '/api/v1/matters/' + enc(c.matter_id) + '/alert/' + slug; }
  var CSRF_HEADER = 'X-CSRF-Token', DEVICE_KEY = 'mq.device', me = null;
  var PUBLIC_PAGES = { '/': 1, '/login': 1 };

  function cookie(name) {
    var hit = document.cookie.split('; ').filter(function (c) { return c.indexOf(name + '=') === 0; })[0];
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : '';
  }
  function device() { try { return JSON.parse(localStorage.getItem(DEVICE_KEY)) || null; } catch (e) { return null; } }
  function toLogin() {
    if (PUBLIC_PAGES[location.pathname]) return;
    location.href = '/login?next=' + enc(location.pathname + location.search);
  }

  function ApiError(status, zh, en, errors) {
    this.status = status; this.zh = zh; this.en = en; this.errors = errors || [];
  }

  function query(params) {
    var parts = [];
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      if (v !== null && v !== undefined && v !== '' && v !== false) parts.push(enc(k) + '=' + enc(v));
    });
    return parts.length ? '?' + parts.join('&') : '';
  }

  function failure(status, body) {
    if (status === 404 && !(body && body.message_zh)) {
      return new ApiError(404, '该功能的接口尚未上线（404），操作未生效', 'This endpoint is not available yet (404); nothing was changed');
    }
    var msg = body && body.detail && body.detail.message_zh ? body.detail : body;  // HTTPException
    var zh = (msg && msg.message_zh) || ('服务器返回错误（' + status + '）');
    var en = (msg && msg.message_en) || ('Server error (' + status + ')');
    return new ApiError(status, zh, en, body && body.errors);
  }

  function request(method, path, body, timeoutMs, opts) {
    opts = opts || {};  // {device: send the device token, quiet: no redirect on 401}
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, timeoutMs || 20000) : null;
    var init = { method: method, credentials: 'same-origin', headers: { accept: 'application/json' }, signal: ctl ? ctl.signal : undefined };
    var dev = opts.device ? device() : null;
    if (dev && dev.token) init.headers.Authorization = 'Bearer ' + dev.token;
    if (method !== 'GET' && cookie('mq_csrf')) init.headers[CSRF_HEADER] = cookie('mq_csrf');
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (r.ok) return data;
        if (r.status === 401 && !opts.quiet && !opts.device) toLogin();
        throw failure(r.status, data);
      });
    }, function () {
      throw new ApiError(0, '网络不通或服务暂不可用', 'No connection or the service is down');
    }).finally(function () { if (timer) clearTimeout(timer); });
  }

  function get(path, params) { return request('GET', path + query(params)); }
  function post(path, body, timeoutMs) { return request('POST', path, body || {}, timeoutMs); }
  function whoAmI() {
    if (!me) me = get(P.me());
    return me;
  }

  MQ.api = {
    paths: P, query: query, ApiError: ApiError,
    submitReport: function (report) { return request('POST', P.reports(), report, 15000, { device: true }); },
    reportStatus: function (receipt) { return request('GET', P.report(receipt), undefined, 20000, { device: true }); },
    device: device,
    enroll: function (code) {
      return request('POST', P.enroll(), { code: code }, 15000, { quiet: true }).then(function (d) {
        try { localStorage.setItem(DEVICE_KEY, JSON.stringify({ token: d.device_token, informant_id: d.informant_id })); } catch (e) { /* this page only */ }
        return d;
      });
    },
    login: function (username, password) { return request('POST', P.login(), { username: username, password: password }, 20000, { quiet: true }); },
    logout: function () { return post(P.logout()); },
    me: whoAmI,
    regions: function () { return get(P.regions()); },
    matter: function (id) { return get(P.matter(id)); },
    feed: function (filters) { return get(P.feed(), filters); },
    streamUrl: function (filters) { return P.stream() + query(filters); },
    trends: function (days) { return get(P.trends(), { days: days }); },
    map: function () { return get(P.map()); },
    townships: function () { return get(P.townships()); },
    overview: function () { return get(P.overview()); },
    kpi: function (start, end, by) { return get(P.kpi(), { start: start, end: end, by: by }); },
    digest: function (leaderId) { return get(P.digest(leaderId)); },
    inbox: function (recipient) { return get(P.inbox(recipient)); },
    leaders: function () { return get(P.leaders()); },
    caseFile: function (matterId) { return get(P.caseFile(matterId)); },
    outcomeOf: function (url) { return get(url); },
    exportUrl: function (name, fmt, params) { return P.exportList(name, fmt) + query(params); },
    // c = {alert_id, matter_id} of the matter acted on; b = the JSON body ({note, ...}).
    acknowledge: function (c, b) { return post(P.acknowledge(c), b); },
    assign: function (c, b) { return post(P.assign(c), b); },
    start: function (c, b) { return post(P.start(c), b); },
    resolve: function (c, b) { return post(P.resolve(c), b); },
    follow_up: function (c, b) { return post(P.follow_up(c), b); },
    close: function (c, b) { return post(P.close(c), b); },
    reopen: function (c, b) { return post(P.reopen(c), b); },
    silence: function (c, b) { return post(P.silence(c), b); },
    merge: function (c, b) { return post(P.merge(c), b); },
    // Split = one move-out per ticked report, in turn: each becomes a matter of its own.
    // Resolves with the last answer (its outcome_url); stops at the first refusal.
    split: function (c, b) {
      return (b.report_ids || []).reduce(function (p, id) {
        return p.then(function () { return post(P.moveOut(c), { report_id: id, reason: b.reason }); });
      }, Promise.resolve(null));
    },
    outcome: function (c, b) { return post(P.outcome(c), b); }
  };

  // Staff pages: who is signed in, and a sign-out button, in the header bar.
  document.addEventListener('DOMContentLoaded', function () {
    var bar = document.querySelector('header.bar');
    if (!bar || PUBLIC_PAGES[location.pathname]) return;
    whoAmI().then(function (m) {
      var box = document.createElement('span'); box.className = 'who';
      var name = document.createElement('span'); name.textContent = m.name + ' · ' + (MQ.t ? MQ.t('role_' + m.role) : m.role);
      var out = document.createElement('button'); out.type = 'button'; out.className = 'lang'; out.id = 'logout';
      out.textContent = MQ.t ? MQ.t('logout') : 'Sign out';
      out.addEventListener('click', function () {
        MQ.api.logout().then(null, function () { return null; }).then(function () { location.href = '/login'; });
      });
      box.appendChild(name); box.appendChild(out); bar.appendChild(box);
    }, function () { /* toLogin already moved the page */ });
  });
})(window.MQ = window.MQ || {});
