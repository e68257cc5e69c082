/* One matter: its reports and events on a timeline, risk over time, the factors
 * sentence, and the lifecycle actions (their endpoints are in api.js). */
(function (MQ) {
  'use strict';
  var $ = MQ.$, el = MQ.el, t = MQ.t;
  var id = new URLSearchParams(location.search).get('id') || '';
  var matter = null, names = {}, current = null;
  var FIRST_LOAD_TRIES = 5;  // 1 s apart: a few sink flush intervals
  var UNITS = ['镇街综治中心', '自然资源和规划局', '住房和城乡建设局', '人力资源和社会保障局', '生态环境分局', '市场监督管理局', '公安局', '人民法院', '司法局', '信访局'];
  // Incident kinds are the signal codes (records.Outcome.incident_kind), offered as suggestions.
  var SIGNALS = Object.keys(MQ.boot.signals || {});
  var ACTIONS = {
    acknowledge: { on: 'alert', fields: [['note', 'textarea', false, 'note']] },
    // Bodies follow producers/alerts_api.py as far as it is visible: {note, lead_unit, leaders}.
    assign: { on: 'alert', fields: [['lead_unit', 'text', true, 'unit', UNITS], ['leaders', 'list', false, 'leader_owner'], ['note', 'textarea', false, 'note']] },
    start: { on: 'alert', fields: [['note', 'textarea', false, 'note']] },
    resolve: { on: 'alert', fields: [['note', 'textarea', true, 'result']] },
    follow_up: { on: 'alert', fields: [['satisfied', 'select', true, 'satisfaction', ['yes', 'no'], 'sat_'], ['note', 'textarea', false, 'note']] },
    close: { on: 'alert', fields: [['note', 'textarea', false, 'note']] },
    reopen: { on: 'alert', fields: [['note', 'textarea', true, 'reason']] },
    silence: { on: 'alert', fields: [['hours', 'select', true, 'hours', ['4', '24', '72']], ['reason', 'textarea', true, 'reason']] },
    // Bodies follow producers/corrections_api.py: merge {other, reason}; split posts one
    // move-out {report_id, reason} per ticked report (api.js).
    merge: { on: 'matter', fields: [['other', 'text', true, 'into'], ['reason', 'textarea', true, 'reason']] },
    split: { on: 'matter', fields: [['report_ids', 'reports', true, 'split_pick'], ['reason', 'textarea', true, 'reason']] },
    // Body follows producers/outcomes_api.py OutcomeIn; the time is required for an incident.
    outcome: { on: 'matter', fields: [['outcome', 'select', true, 'outcome', ['incident', 'resolved', 'nothing'], 'o_'],
      ['incident_kind', 'text', false, 'incident_kind', SIGNALS], ['t_incident', 'datetime', false, 't_incident'], ['note', 'textarea', false, 'note']] }
  };

  function stat(label, value) { return el('div', { cls: 'kpi' }, [el('b', { text: String(value) }), el('span', { text: t(label) })]); }
  function tags(node, list, fn) { MQ.clear(node); (list || []).forEach(function (x) { node.appendChild(el('span', { text: fn ? fn(x) : x })); }); }

  function renderHead(m) {
    var a = m.alert, last = (m.risk_history || []).slice(-1)[0] || {};
    document.title = m.title + ' · ' + t('app');
    MQ.clear($('#m_level')).appendChild(MQ.badge(a ? a.level : last.level || 'none'));
    $('#m_title').textContent = m.title;
    $('#m_status').textContent = a ? MQ.st(a.status) : '';
    $('#m_factors').textContent = (a && a.explanation) || last.explanation || '';
    var s = MQ.clear($('#m_stats'));
    [['n_reports', m.n_reports], ['n_informants', m.n_informants], ['n_villages', m.n_villages], ['people_max', m.people_max],
      ['col_risk', last.risk !== undefined ? Number(last.risk).toFixed(2) : '—']].forEach(function (p) { s.appendChild(stat(p[0], p[1])); });
    tags($('#m_keywords'), m.keywords);
    tags($('#m_signals'), m.signals, MQ.sig);
    $('#m_meta').textContent = [MQ.cat(m.category), names[m.township] || m.township || '', t('first_seen') + ' ' + MQ.time(m.first_seen), t('last_seen') + ' ' + MQ.time(m.last_seen), m.matter_id].filter(Boolean).join(' · ');
    $('#no_alert').hidden = !!a;
    document.querySelectorAll('#actions button').forEach(function (b) { b.disabled = ACTIONS[b.getAttribute('data-act')].on === 'alert' && !a; });
  }

  function renderRisk(m) {
    var node = $('#risk_chart'), hist = m.risk_history || [];
    if (!MQ.hasCharts()) {
      node.className = ''; MQ.clear(node).appendChild(MQ.table([t('col_raised'), t('col_risk'), t('col_level'), t('factors')],
        hist.map(function (r) { return [MQ.time(r.scored_at), Number(r.risk).toFixed(2), MQ.lvl(r.level), r.explanation]; }), false));
      return;
    }
    var th = MQ.boot.thresholds || {};
    MQ.chart(node, {
      grid: { left: 44, right: 56, top: 20, bottom: 40 },
      tooltip: { trigger: 'axis', formatter: function (p) { var r = hist[p[0].dataIndex]; return MQ.time(r.scored_at) + '<br>' + Number(r.risk).toFixed(2) + ' ' + MQ.lvl(r.level) + '<br>' + r.explanation.replace(/</g, '&lt;'); } },
      xAxis: { type: 'category', data: hist.map(function (r) { return MQ.time(r.scored_at); }) },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: [{ type: 'line', step: 'end', symbolSize: 9, data: hist.map(function (r) { return { value: r.risk, itemStyle: { color: MQ.colors[r.level] } }; }),
        lineStyle: { color: '#555' },
        markLine: { symbol: 'none', silent: true, data: ['yellow', 'orange', 'red'].filter(function (l) { return th[l]; }).map(function (l) { return { yAxis: th[l], lineStyle: { color: MQ.colors[l], type: 'dashed' }, label: { formatter: MQ.lvl(l), color: MQ.colors[l] } }; }) } }]
    });
  }

  function renderTimeline(m) {
    var items = (m.reports || []).map(function (r) { return { at: r.received_at, cls: '', text: t('ev_report') + '：' + r.title, sub: names[r.village] || names[r.township] || '' }; });
    (m.events || []).forEach(function (e) {
      var what = MQ.T[MQ.lang()]['ev_' + e.kind] ? t('ev_' + e.kind) : MQ.st(e.kind);
      items.push({ at: e.at, cls: 'ev', text: what + ' · ' + MQ.lvl(e.level), sub: [e.actor !== 'system' ? e.actor : '', e.note].filter(Boolean).join(' · ') });
    });
    items.sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; });
    var ol = MQ.clear($('#timeline'));
    items.forEach(function (i) { ol.appendChild(el('li', { cls: i.cls }, [el('div', { cls: 'muted', text: MQ.time(i.at) }), el('div', { text: i.text }), i.sub ? el('div', { cls: 'muted', text: i.sub }) : null])); });
    MQ.clear($('#reports')).appendChild(MQ.table([t('col_raised'), t('col_title'), t('village')],
      (m.reports || []).map(function (r) { return [MQ.time(r.received_at), r.title, names[r.village] || names[r.township] || '']; })));
    var p = { matter_id: m.matter_id, lang: MQ.lang() };
    $('#x_csv').href = MQ.api.exportUrl('reports', 'csv', p); $('#x_xlsx').href = MQ.api.exportUrl('reports', 'xlsx', p);
  }

  function render() { if (matter) { renderHead(matter); renderRisk(matter); renderTimeline(matter); } }
  // An alert and its matter are written by separate sinks, each within a flush interval, so
  // a matter opened from a fresh alert may not be readable yet: a first load retries a 404.
  function load(tries) {
    return MQ.api.matter(id).then(function (m) { matter = m; render(); }, function (e) {
      if (e.status === 404 && !matter && tries > 0) { setTimeout(function () { load(tries - 1); }, 1000); return; }
      MQ.toast(t('load_fail') + MQ.errText(e), true);
    });
  }

  /* ---- actions ---- */
  function field(f) {
    var key = f[0], kind = f[1], input;
    if (kind === 'textarea') input = el('textarea', { id: 'x_' + key, name: key, required: f[2], maxlength: 1000 });
    else if (kind === 'select') input = el('select', { id: 'x_' + key, name: key, required: f[2] }, f[4].map(function (v) { return el('option', { value: v, text: f[5] ? t(f[5] + v) : v + ' h' }); }));
    else if (kind === 'reports') {
      return el('fieldset', { cls: 'checks' }, [el('legend', { text: t(f[3]) })].concat((matter.reports || []).map(function (r) {
        return el('label', {}, [el('input', { type: 'checkbox', name: key, value: r.report_id }), el('span', { text: MQ.time(r.received_at) + ' ' + r.title })]);
      })));
    } else if (kind === 'datetime') input = el('input', { id: 'x_' + key, name: key, type: 'datetime-local', required: f[2] });
    else input = el('input', { id: 'x_' + key, name: key, required: f[2], maxlength: 200, list: f[4] ? 'x_' + key + '_list' : null });
    var list = kind === 'text' && f[4] ? el('datalist', { id: 'x_' + key + '_list' }, f[4].map(function (v) { return el('option', { value: v }); })) : null;
    return el('div', { cls: 'field' }, [el('label', { for: 'x_' + key, text: t(f[3]) + (f[2] ? ' *' : '') }), input, list]);
  }
  function open(act) {
    current = act;
    $('#dlg_h').textContent = t('a_' + act);
    var box = MQ.clear($('#dlg_fields'));
    ACTIONS[act].fields.forEach(function (f) { box.appendChild(field(f)); });
    // The acting person is the signed-in account (recorded by the server, not typed here).
    MQ.api.me().then(function (m) { box.appendChild(el('p', { cls: 'muted', text: t('actor') + '：' + m.name })); }, function () { /* sent to sign-in */ });
    $('#dlg').showModal();
  }
  function values() {
    var out = {}, ok = true;
    ACTIONS[current].fields.forEach(function (f) {
      if (f[1] === 'reports') {
        out[f[0]] = Array.prototype.map.call(document.querySelectorAll('#dlg_fields input[name=report_ids]:checked'), function (c) { return c.value; });
        ok = ok && out[f[0]].length > 0;
      } else {
        var v = $('#x_' + f[0]).value.trim();
        // datetime-local is the browser's local time; the API wants an offset, so send UTC.
        out[f[0]] = f[0] === 'hours' ? Number(v) : f[0] === 'satisfied' ? v === 'yes' : f[1] === 'list' ? v.split(/[,，、\s]+/).filter(Boolean)
          : f[1] === 'datetime' ? (v ? new Date(v).toISOString() : null) : v;
        ok = ok && (!f[2] || v !== '');
      }
    });
    return ok ? out : null;
  }
  function submit(ev) {
    ev.preventDefault();
    var body = values();
    if (!body) { MQ.toast(t('required'), true); return; }
    var ctx = { alert_id: matter.alert ? matter.alert.alert_id : '', matter_id: matter.matter_id };
    if (current === 'silence') body.matter_id = matter.matter_id;
    MQ.api[current](ctx, body).then(function (d) {
      $('#dlg').close(); MQ.toast(t('done_ok'));
      if (d && d.outcome_url) follow(d.outcome_url, 20); else setTimeout(load, 800);
    }, function (e) { $('#dlg').close(); MQ.toast(MQ.errText(e), true); });
  }
  // A lifecycle action is queued (202); the worker's verdict arrives at outcome_url.
  function follow(url, tries) {
    MQ.api.outcomeOf(url).then(function (o) {
      if (o.status === 'pending' && tries > 0) { setTimeout(function () { follow(url, tries - 1); }, 1000); return; }
      if (o.status === 'rejected') MQ.toast(t('rejected') + ((o.transition && o.transition.note) || ''), true);
      else if (o.status === 'done') MQ.toast(t('applied'));
      load();
    }, function () { load(); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    MQ.noCharts($('#risk_chart'));
    document.querySelectorAll('#actions button').forEach(function (b) { b.addEventListener('click', function () { open(b.getAttribute('data-act')); }); });
    $('#dlg_form').addEventListener('submit', submit);
    $('#dlg_cancel').addEventListener('click', function () { $('#dlg').close(); });
    MQ.onLang(render);
    MQ.api.regions().then(function (tree) {
      names[tree.code] = tree.name;
      tree.townships.forEach(function (tw) { names[tw.code] = tw.name; tw.villages.forEach(function (v) { names[v.code] = v.name; }); });
    }, function () { /* codes only */ }).then(function () { load(FIRST_LOAD_TRIES); });
    setInterval(function () { if (!$('#dlg').open) load(); }, 15000);
  });
})(window.MQ = window.MQ || {});
