/* ECharts (served from /ui/vendor, built by `python -m web.build`) with a table fallback:
 * without the library every figure still shows as a table. */
(function (MQ) {
  'use strict';
  var charts = [];
  MQ.colors = { none: '#c9ccd1', blue: '#1d6fd6', yellow: '#e3b000', orange: '#e8590c', red: '#c81e1e' };
  MQ.palette = ['#b42318', '#1d6fd6', '#e8590c', '#2f9e44', '#7048e8', '#e3b000', '#0c8599', '#d6336c', '#5c940d', '#495057', '#a61e4d'];
  MQ.hasCharts = function () { return !!window.echarts; };
  MQ.chart = function (node, option) {
    if (!window.echarts) return null;
    var c = window.echarts.getInstanceByDom(node) || window.echarts.init(node);
    if (charts.indexOf(c) < 0) charts.push(c);
    c.setOption(Object.assign({ animation: false, color: MQ.palette, textStyle: { fontFamily: 'system-ui, sans-serif' } }, option), true);
    return c;
  };
  MQ.table = function (headers, rows, numeric) {
    var head = MQ.el('tr', {}, headers.map(function (h, i) { return MQ.el('th', { cls: numeric && i ? 'num' : '', text: h }); }));
    var body = rows.map(function (r) { return MQ.el('tr', {}, r.map(function (v, i) { return MQ.el('td', { cls: numeric && i ? 'num' : '', text: v === null || v === undefined ? '' : String(v) }); })); });
    return MQ.el('div', { cls: 'scroll' }, [MQ.el('table', {}, [MQ.el('thead', {}, [head]), MQ.el('tbody', {}, body)])]);
  };
  MQ.noCharts = function (node) {
    if (!window.echarts) node.parentNode.insertBefore(MQ.el('p', { cls: 'muted', text: MQ.t('no_charts') }), node);
  };
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})(window.MQ = window.MQ || {});
