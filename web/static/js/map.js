/* Offline risk map: the schematic township tiles from configs/regions/*_layout.csv,
 * registered as an ECharts map (no online tiles), coloured by the highest open alert. */
(function (MQ) {
  'use strict';
  var $ = MQ.$, t = MQ.t, data = null, RANK = { none: 0, blue: 1, yellow: 2, orange: 3, red: 4 };

  function feedUrl(code) { return '/analyst?township=' + encodeURIComponent(code); }
  function renderMap() {
    if (!MQ.hasCharts() || !data.geojson.features.length) { $('#map').hidden = true; return; }
    var labels = {};
    data.geojson.features.forEach(function (f) { labels[f.properties.name] = f.properties.label; });
    window.echarts.registerMap('minqing', data.geojson);
    var byCode = {};
    data.townships.forEach(function (s) { byCode[s.code] = s; });
    var chart = MQ.chart($('#map'), {
      tooltip: { formatter: function (p) {
        var s = byCode[p.name] || {};
        return (labels[p.name] || p.name) + '<br>' + t('level_max') + '：' + MQ.lvl(s.level || 'none') + '<br>' + t('open_alerts') + '：' + (s.open_alerts || 0) +
          '<br>' + t('n_overdue', { n: s.overdue || 0 }) + '<br>' + t('reports_7d') + '：' + (s.reports_7d || 0);
      } },
      visualMap: { type: 'piecewise', left: 0, bottom: 0, dimension: 0, pieces: ['none', 'blue', 'yellow', 'orange', 'red'].map(function (l) {
        return { value: RANK[l], label: MQ.lvl(l), color: MQ.colors[l] };
      }) },
      series: [{ type: 'map', map: 'minqing', aspectScale: 1, roam: false, selectedMode: false, layoutCenter: ['50%', '50%'], layoutSize: '96%',
        label: { show: true, formatter: function (p) { var s = byCode[p.name] || {}; return labels[p.name] + (s.open_alerts ? '\n' + s.open_alerts : ''); }, fontSize: 13, lineHeight: 18 },
        itemStyle: { borderColor: '#fff', borderWidth: 2 }, emphasis: { label: { fontWeight: 'bold' }, itemStyle: { areaColor: '#444' } },
        data: data.geojson.features.map(function (f) { var s = byCode[f.properties.name] || {}; return { name: f.properties.name, value: RANK[s.level || 'none'] }; }) }]
    });
    chart.off('click');
    chart.on('click', function (p) { location.href = feedUrl(p.name); });
  }
  function renderList() {
    var rows = data.townships.slice().sort(function (a, b) { return (RANK[b.level] - RANK[a.level]) || (b.max_risk - a.max_risk) || (b.reports_7d - a.reports_7d); });
    var box = MQ.clear($('#list'));
    box.appendChild(MQ.table([t('col_where'), t('level_max'), t('open_alerts'), t('overdue'), t('reports_7d')],
      rows.map(function (s) { return [s.name, MQ.lvl(s.level), s.open_alerts, s.overdue, s.reports_7d]; }), true));
    box.querySelectorAll('tbody tr').forEach(function (tr, i) {
      tr.className = 'alert-row'; tr.addEventListener('click', function () { location.href = feedUrl(rows[i].code); });
    });
    var p = { lang: MQ.lang() };
    $('#x_csv').href = MQ.api.exportUrl('townships', 'csv', p); $('#x_xlsx').href = MQ.api.exportUrl('townships', 'xlsx', p);
  }
  function load() {
    MQ.api.map().then(function (d) { data = d; renderMap(); renderList(); }, function (e) { MQ.toast(t('load_fail') + MQ.errText(e), true); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    MQ.noCharts($('#map'));
    MQ.onLang(function () { if (data) { renderMap(); renderList(); } });
    load(); setInterval(load, 30000);
  });
})(window.MQ = window.MQ || {});
