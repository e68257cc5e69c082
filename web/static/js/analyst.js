/* Analyst dashboard: the live alert feed over server-sent events, with filters that
 * travel in the URL (so the map can link to a township's alerts). */
(function (MQ) {
  'use strict';
  var $ = MQ.$, el = MQ.el, t = MQ.t;
  var source = null, items = [], seen = null, pollTimer = null;

  function filters() {
    var f = {};
    ['township', 'category', 'min_level', 'status'].forEach(function (k) { var v = $('#filters [name=' + k + ']').value; if (v) f[k] = v; });
    if ($('#f_overdue').checked) f.overdue = 'true';
    return f;
  }
  function fromUrl() {
    var q = new URLSearchParams(location.search);
    return { township: q.get('township') || '', category: q.get('category') || '', min_level: q.get('min_level') || '', status: q.has('status') ? q.get('status') : 'open', overdue: q.get('overdue') === 'true' };
  }
  function options(select, pairs, value) {
    MQ.clear(select);
    pairs.forEach(function (p) { select.appendChild(el('option', { value: p[0], text: p[1] })); });
    select.value = value;
  }
  function fillFilters(tree) {
    var f = fromUrl(), cur = filters();
    var towns = [['', t('all')]].concat((tree ? tree.townships : []).map(function (x) { return [x.code, x.name]; }));
    options($('#f_township'), towns, cur.township || f.township);
    options($('#f_category'), [['', t('all')]].concat(Object.keys(MQ.boot.categories).map(function (c) { return [c, MQ.cat(c)]; })), cur.category || f.category);
    options($('#f_level'), [['', t('all')]].concat(['yellow', 'orange', 'red'].map(function (l) { return [l, MQ.lvl(l)]; })), cur.min_level || f.min_level);
    var sts = [['open', t('open')], ['', t('all')]].concat(Object.keys(MQ.boot.statuses).map(function (s) { return [s, MQ.st(s)]; }));
    options($('#f_status'), sts, $('#f_status').options.length ? $('#f_status').value : f.status);
    if (f.overdue) $('#f_overdue').checked = true;
  }

  function live(state) {
    $('#live').className = 'live ' + (state === 'on' ? 'on' : state === 'off' ? 'off' : '');
    $('#live_text').textContent = t(state === 'on' ? 'live_on' : state === 'off' ? 'live_off' : 'live_poll');
  }
  function deadlineCell(a) {
    if (!a.deadline) return el('td', { text: '—' });
    var left = (new Date(a.deadline).getTime() - Date.now()) / 1000, done = a.status === 'resolved' || a.status === 'closed';
    var over = left < 0 && !done;
    var kind = a.due_kind ? t('due_' + a.due_kind) + ' ' : '';
    return el('td', { cls: over ? 'over' : '' }, [kind + MQ.time(a.deadline), el('br'), el('small', { text: done ? MQ.st(a.status) : t(over ? 'overdue_by' : 'left', { t: MQ.span(left) }) })]);
  }
  function row(a, fresh) {
    var href = '/matter?id=' + encodeURIComponent(a.matter_id);
    return el('tr', { cls: 'alert-row' + (fresh ? ' fresh' : ''), 'data-alert': a.alert_id, 'data-matter': a.matter_id, onclick: function (ev) { if (ev.target.tagName !== 'A') location.href = href; } }, [
      el('td', {}, [MQ.badge(a.level)]), el('td', { cls: 'num', text: Number(a.risk).toFixed(2) }),
      el('td', {}, [el('a', { href: href, text: a.title }), el('div', { cls: 'muted', text: a.explanation })]),
      el('td', { text: a.township_name || '' }), el('td', { text: MQ.cat(a.category) }), el('td', { cls: 'status', text: MQ.st(a.status) }),
      el('td', { text: MQ.time(a.raised_at) }), deadlineCell(a)
    ]);
  }
  function render() {
    var body = MQ.clear($('#feed tbody')), now = {};
    items.forEach(function (a) { now[a.alert_id] = 1; body.appendChild(row(a, seen && !seen[a.alert_id])); });
    if (!items.length) body.appendChild(el('tr', {}, [el('td', { colspan: 8, cls: 'muted', text: t('none_yet') })]));
    seen = now;
    var overdue = items.filter(function (a) { return a.overdue; }).length;
    $('#summary').textContent = t('n_alerts', { n: items.length }) + (overdue ? ' · ' + t('n_overdue', { n: overdue }) : '');
  }
  function exportLinks() {
    var f = filters();
    $('#x_csv').href = MQ.api.exportUrl('alerts', 'csv', Object.assign({ lang: MQ.lang() }, f));
    $('#x_xlsx').href = MQ.api.exportUrl('alerts', 'xlsx', Object.assign({ lang: MQ.lang() }, f));
  }

  function connect() {
    if (source) source.close();
    clearInterval(pollTimer);
    var f = filters();
    history.replaceState(null, '', '/analyst' + MQ.api.query(f));
    exportLinks(); seen = null;
    if (!window.EventSource) { live('poll'); poll(); pollTimer = setInterval(poll, 5000); return; }
    source = new EventSource(MQ.api.streamUrl(f));
    source.addEventListener('open', function () { live('on'); });
    source.addEventListener('error', function () { live('off'); });
    source.addEventListener('alerts', function (ev) { live('on'); items = JSON.parse(ev.data).items; render(); });
  }
  function poll() { MQ.api.feed(filters()).then(function (d) { items = d.items; render(); }, function (e) { MQ.toast(t('load_fail') + MQ.errText(e), true); }); }

  document.addEventListener('DOMContentLoaded', function () {
    var tree = null;
    fillFilters(null); live('off');
    // Connect once the township list is in, so a township in the URL is kept.
    MQ.api.regions().then(function (d) { tree = d; }, function () { /* filters without townships */ }).then(function () {
      fillFilters(tree); connect();
    });
    $('#filters').addEventListener('change', connect);
    $('#filters').addEventListener('submit', function (ev) { ev.preventDefault(); });
    MQ.onLang(function () { fillFilters(tree); render(); exportLinks(); });
    setInterval(render, 30000);
  });
})(window.MQ = window.MQ || {});
