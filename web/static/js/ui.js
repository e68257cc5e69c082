/* Shared page helpers: language, labels, time, DOM, toast. Text goes in with textContent
 * only (report titles are typed by the public). */
(function (MQ) {
  'use strict';
  var boot = MQ.boot = window.MQ_BOOT || {};
  var hooks = [];
  var stored = null;
  try { stored = localStorage.getItem('mq.lang'); } catch (e) { stored = null; }
  var lang = stored === 'en' ? 'en' : 'zh';

  MQ.lang = function () { return lang; };
  MQ.t = function (key, vars) {
    var s = MQ.T[lang][key];
    if (s === undefined) s = MQ.T.zh[key];
    if (s === undefined) s = key;
    return String(s).replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] !== undefined ? vars[k] : ''; });
  };
  function label(prefix, table, code) {
    if (code === null || code === undefined || code === '') return '';
    if (lang === 'en' && MQ.T.en[prefix + code]) return MQ.T.en[prefix + code];
    return (table && table[code]) || code;
  }
  MQ.cat = function (c) { return label('cat.', boot.categories, c); };
  MQ.sig = function (c) { return label('sig.', boot.signals, c); };
  MQ.lvl = function (c) { return label('lvl.', boot.levels, c); };
  MQ.st = function (c) { return label('st.', boot.statuses, c); };
  MQ.intent = function (c) { return MQ.t('intent.' + c); };

  MQ.applyI18n = function (root) {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    (root || document).querySelectorAll('[data-i18n]').forEach(function (n) { n.textContent = MQ.t(n.getAttribute('data-i18n')); });
    (root || document).querySelectorAll('[data-i18n-ph]').forEach(function (n) { n.placeholder = MQ.t(n.getAttribute('data-i18n-ph')); });
    (root || document).querySelectorAll('[data-i18n-aria]').forEach(function (n) { n.setAttribute('aria-label', MQ.t(n.getAttribute('data-i18n-aria'))); });
  };
  MQ.onLang = function (fn) { hooks.push(fn); };
  MQ.setLang = function (l) {
    lang = l;
    try { localStorage.setItem('mq.lang', l); } catch (e) { /* private mode: this page only */ }
    MQ.applyI18n();
    hooks.forEach(function (fn) { fn(); });
  };

  MQ.el = function (tag, attrs, kids) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'cls') n.className = attrs[k];
      else if (k.slice(0, 2) === 'on') n.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) n.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined) n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return n;
  };
  MQ.$ = function (sel) { return document.querySelector(sel); };
  MQ.clear = function (n) { while (n.firstChild) n.removeChild(n.firstChild); return n; };
  MQ.badge = function (level) { return MQ.el('span', { cls: 'lv ' + level, text: MQ.lvl(level) }); };

  var fmt = {};
  MQ.time = function (iso, withDate) {
    if (!iso) return '';
    var key = lang + (withDate ? 'd' : 't');
    if (!fmt[key]) {
      var o = { timeZone: boot.tz || undefined, hour: '2-digit', minute: '2-digit', hour12: false };
      if (withDate !== false) { o.month = '2-digit'; o.day = '2-digit'; }
      fmt[key] = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', o);
    }
    return fmt[key].format(new Date(iso));
  };
  MQ.span = function (seconds) {
    var m = Math.floor(Math.abs(seconds) / 60);
    if (m < 60) return MQ.t('minutes', { n: m });
    if (m < 1440) return MQ.t('hours_t', { h: Math.floor(m / 60), m: m % 60 });
    return MQ.t('days_t', { d: Math.floor(m / 1440), h: Math.floor((m % 1440) / 60) });
  };
  MQ.pct = function (x) { return x === null || x === undefined ? '—' : (Math.round(x * 1000) / 10) + '%'; };

  var toastTimer = null;
  MQ.toast = function (msg, isErr) {
    var n = MQ.$('#toast');
    if (!n) { n = MQ.el('div', { id: 'toast', role: 'alert' }); document.body.appendChild(n); }
    n.textContent = msg; n.className = 'toast' + (isErr ? ' err' : ''); n.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { n.hidden = true; }, isErr ? 8000 : 4000);
  };
  MQ.errText = function (e) { return lang === 'en' ? (e && e.en) || String(e) : (e && e.zh) || String(e); };

  document.addEventListener('DOMContentLoaded', function () {
    var here = location.pathname;
    document.querySelectorAll('header.bar nav a').forEach(function (a) {
      if (a.getAttribute('href') === here) a.setAttribute('aria-current', 'page');
    });
    var b = MQ.$('#lang');
    if (b) b.addEventListener('click', function () { MQ.setLang(lang === 'zh' ? 'en' : 'zh'); });
    MQ.applyI18n();
  });
})(window.MQ = window.MQ || {});
