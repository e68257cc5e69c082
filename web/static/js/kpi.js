/* The office's figures: counts from the warehouse (/api/v1/overview), and the lifecycle's
 * rates (/api/v1/kpis: 化解率, 按期办结率, 满意率, 重复访率) for the last 30 days when that
 * API is mounted; without it, rates derived from the alerts table (and a note saying so). */
(function (MQ) {
  'use strict';
  var $ = MQ.$, t = MQ.t, data = null, life = null, byTown = [], names = {};
  var DAY = 86400000;

  function card(label, value, note) {
    return MQ.el('div', { cls: 'kpi' }, [MQ.el('b', { text: String(value) }), MQ.el('span', { text: t(label) }), note ? MQ.el('div', { cls: 'muted', text: note }) : null]);
  }
  function cards() {
    var r = data.reports, m = data.matters, a = data.alerts, open = 0;
    Object.keys(a.open_by_level).forEach(function (l) { open += a.open_by_level[l]; });
    var rates = life ? [['k_resolution', life.resolution_rate], ['k_ontime', life.on_time_resolution_rate], ['k_response', life.ack_on_time_rate],
      ['k_satisfaction', life.satisfaction_rate], ['k_repeat', life.repeat_rate]]
      : [['k_resolution', a.resolution_rate], ['k_ontime', a.on_time_completion_rate], ['k_response', a.on_time_response_rate], ['k_satisfaction', data.satisfaction_rate]];
    var box = MQ.clear($('#cards'));
    [['k_day', r.day], ['k_week', r.week], ['k_month', r.month], ['k_active', m.active], ['k_new', m.new], ['k_open', open], ['k_overdue', a.overdue], ['k_collective', r.collective]]
      .forEach(function (c) { box.appendChild(card(c[0], c[1])); });
    rates.forEach(function (c) { box.appendChild(card(c[0], MQ.pct(c[1]), c[1] === null || c[1] === undefined ? t('k_pending') : '')); });
    if (life && life.avg_minutes_to_first_action !== null) box.appendChild(card('k_minutes', life.avg_minutes_to_first_action));
  }
  function charts() {
    var a = data.alerts, levels = ['yellow', 'orange', 'red', 'blue'], statuses = Object.keys(a.by_status);
    if (!MQ.hasCharts()) {
      MQ.clear($('#k1')).appendChild(MQ.table(['', t('col_count')], levels.map(function (l) { return [MQ.lvl(l), a.open_by_level[l]]; }), true));
      MQ.clear($('#k2')).appendChild(MQ.table(['', t('col_count')], statuses.map(function (s) { return [MQ.st(s), a.by_status[s]]; }), true));
      return;
    }
    MQ.chart($('#k1'), { tooltip: {}, grid: { left: 40, right: 16, top: 16, bottom: 30 }, xAxis: { type: 'category', data: levels.map(MQ.lvl) }, yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: levels.map(function (l) { return { value: a.open_by_level[l], itemStyle: { color: MQ.colors[l] } }; }), label: { show: true, position: 'top' } }] });
    MQ.chart($('#k2'), { tooltip: {}, legend: { bottom: 0 }, series: [{ type: 'pie', radius: ['40%', '70%'], label: { formatter: '{b}: {c}' },
      data: statuses.map(function (s) { return { name: MQ.st(s), value: a.by_status[s] }; }) }] });
  }
  function townTable() {
    $('#by_town').hidden = !byTown.length;
    MQ.clear($('#towns')).appendChild(MQ.table([t('col_where'), t('k_raised'), t('k_response'), t('k_resolution'), t('k_ontime'), t('k_satisfaction'), t('k_repeat')],
      byTown.map(function (r) { return [names[r.key] || r.key || '—', r.raised, MQ.pct(r.ack_on_time_rate), MQ.pct(r.resolution_rate), MQ.pct(r.on_time_resolution_rate), MQ.pct(r.satisfaction_rate), MQ.pct(r.repeat_rate)]; }), true));
  }
  function render() {
    cards(); charts(); townTable();
    $('#fallback').hidden = !!life;
    $('#updated').textContent = t('updated', { t: MQ.time(data.at) });
  }
  function optional(p) { return p.then(function (d) { return d; }, function () { return null; }); }
  function load() {
    var end = new Date(Date.now() + 60000).toISOString(), start = new Date(Date.now() - 30 * DAY).toISOString();
    Promise.all([MQ.api.overview(), optional(MQ.api.kpi(start, end, 'all')), optional(MQ.api.kpi(start, end, 'region'))]).then(function (r) {
      data = r[0]; life = r[1] && r[1].items && r[1].items[0] ? r[1].items[0] : null; byTown = r[2] && r[2].items ? r[2].items : [];
      render();
    }, function (e) { MQ.toast(t('load_fail') + MQ.errText(e), true); });
  }
  function links() {
    var p = { lang: MQ.lang() };
    $('#x_csv').href = MQ.api.exportUrl('kpi', 'csv', p); $('#x_xlsx').href = MQ.api.exportUrl('kpi', 'xlsx', p);
  }
  document.addEventListener('DOMContentLoaded', function () {
    MQ.noCharts($('#k1'));
    links();
    MQ.api.regions().then(function (tree) { tree.townships.forEach(function (x) { names[x.code] = x.name; }); }, function () { /* codes only */ });
    MQ.onLang(function () { links(); if (data) render(); });
    load(); setInterval(load, 60000);
  });
})(window.MQ = window.MQ || {});
