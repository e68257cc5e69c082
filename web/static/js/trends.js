/* Trends by category, township and level over 7, 30 or 90 days. */
(function (MQ) {
  'use strict';
  var $ = MQ.$, t = MQ.t, data = null;

  function short(day) { return day.slice(5); }
  function sum(xs) { return xs.reduce(function (a, b) { return a + b; }, 0); }
  function byCategory(s) {
    var cats = Object.keys(s).sort();
    if (!MQ.hasCharts()) return table($('#c1'), cats.map(function (c) { return [MQ.cat(c), sum(s[c])]; }));
    MQ.chart($('#c1'), { tooltip: { trigger: 'axis' }, legend: { type: 'scroll', top: 0 }, grid: { left: 40, right: 16, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: data.days.map(short) }, yAxis: { type: 'value', minInterval: 1 },
      series: cats.map(function (c) { return { name: MQ.cat(c), type: 'bar', stack: 'r', data: s[c] }; }) });
  }
  function byTownship(s) {
    var rows = Object.keys(s).map(function (k) { return [data.names[k] || (k || '—'), sum(s[k])]; }).sort(function (a, b) { return a[1] - b[1]; });
    if (!MQ.hasCharts()) return table($('#c2'), rows.slice().reverse());
    MQ.chart($('#c2'), { tooltip: {}, grid: { left: 80, right: 24, top: 8, bottom: 24 }, xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: rows.map(function (r) { return r[0]; }) }, series: [{ type: 'bar', data: rows.map(function (r) { return r[1]; }), itemStyle: { color: '#b42318' } }] });
  }
  function alertsAndMatters(s) {
    var levels = ['yellow', 'orange', 'red'].filter(function (l) { return s.alerts_by_level[l]; });
    var series = levels.map(function (l) { return { name: MQ.lvl(l), type: 'bar', stack: 'a', data: s.alerts_by_level[l], itemStyle: { color: MQ.colors[l] } }; });
    series.push({ name: t('new_matters'), type: 'line', data: (s.new_matters[''] || data.days.map(function () { return 0; })), itemStyle: { color: '#1d6fd6' } });
    if (!MQ.hasCharts()) return table($('#c3'), series.map(function (x) { return [x.name, sum(x.data)]; }));
    MQ.chart($('#c3'), { tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: data.days.map(short) }, yAxis: { type: 'value', minInterval: 1 }, series: series });
  }
  function table(node, rows) { node.className = ''; MQ.clear(node).appendChild(MQ.table(['', t('col_count')], rows, true)); }
  function render() {
    var s = data.series;
    byCategory(s.reports_by_category); byTownship(s.reports_by_township); alertsAndMatters(s);
    var p = { days: $('#days').value, lang: MQ.lang() };
    $('#x_csv').href = MQ.api.exportUrl('trends', 'csv', p); $('#x_xlsx').href = MQ.api.exportUrl('trends', 'xlsx', p);
  }
  function load() {
    MQ.api.trends($('#days').value).then(function (d) { data = d; render(); }, function (e) { MQ.toast(t('load_fail') + MQ.errText(e), true); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    MQ.noCharts($('#c1'));
    var days = new URLSearchParams(location.search).get('days');
    if (days && $('#days option[value="' + days + '"]')) $('#days').value = days;
    $('#days').addEventListener('change', load);
    MQ.onLang(function () { if (data) render(); });
    load(); setInterval(load, 60000);
  });
})(window.MQ = window.MQ || {});
