/* Leader view: the townships a leader is responsible for (联系包保镇街) at a glance, what
 * waits on them, and a digest. A signed-in leader sees their own areas; an admin may pick
 * any leader (or ?leader=id) from configs/routing.toml; other staff pick townships by hand
 * (the server shows them only their own scope anyway). Digest and notifications come
 * from the lifecycle API; without it, from the alerts. */
(function (MQ) {
  'use strict';
  var $ = MQ.$, el = MQ.el, t = MQ.t;
  var towns = [], alerts = [], leaders = [], leader = null, areas = [], digest = null, notes = [];
  var own = false;  // a signed-in leader: their own view, no chooser

  function stored(key, dflt) { try { return JSON.parse(localStorage.getItem(key)) || dflt; } catch (e) { return dflt; } }
  function keep(key, v) { try { localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* this page only */ } }
  function inAreas(code) { return !!code && (!areas.length || areas.some(function (a) { return code.indexOf(a) === 0; })); }
  function mine() { return towns.filter(function (s) { return inAreas(s.code); }); }

  function chooseLeader(id) {
    leader = leaders.filter(function (l) { return l.id === id; })[0] || null;
    keep('mq.leader', leader ? leader.id : '');
    areas = leader ? leader.areas : stored('mq.areas', []);
  }
  function renderWho() {
    var sel = MQ.clear($('#who'));
    sel.appendChild(el('option', { value: '', text: t('pick_areas') }));
    leaders.forEach(function (l) { sel.appendChild(el('option', { value: l.id, text: l.name })); });
    sel.value = leader ? leader.id : '';
    $('#who_box').hidden = own || !leaders.length;
    $('#areas_box').hidden = !!leader;
    var box = MQ.clear($('#areas'));
    box.appendChild(el('legend', { cls: 'sr', text: t('pick_areas') }));
    towns.forEach(function (s) {
      box.appendChild(el('label', {}, [el('input', { type: 'checkbox', value: s.code, checked: areas.indexOf(s.code) >= 0, onchange: function () {
        areas = Array.prototype.map.call(box.querySelectorAll('input:checked'), function (c) { return c.value; }); keep('mq.areas', areas); render();
      } }), el('span', { text: s.name })]));
    });
  }
  function renderTiles() {
    var box = MQ.clear($('#tiles'));
    mine().forEach(function (s) {
      box.appendChild(el('a', { cls: 'tile ' + s.level, href: '/analyst?township=' + s.code }, [
        el('b', { text: s.name }), el('div', { text: t('open_alerts') + ' ' + s.open_alerts }),
        el('div', { text: t('n_overdue', { n: s.overdue }) }), el('div', { text: t('reports_7d') + ' ' + s.reports_7d })]));
    });
  }
  function waiting() {
    if (digest) {
      var seen = {};
      return digest.overdue.concat(digest.top).filter(function (c) { if (seen[c.matter_id]) return false; seen[c.matter_id] = 1; return true; })
        .map(function (c) { return { matter_id: c.matter_id, title: c.title, level: c.level, status: c.status, deadline: c.due_at, township_name: (towns.filter(function (s) { return s.code === c.township; })[0] || {}).name || '' }; });
    }
    return alerts.filter(function (a) { return inAreas(a.township) && (a.overdue || a.level === 'red' || a.level === 'orange'); }).slice(0, 10);
  }
  function renderWaiting() {
    var ul = MQ.clear($('#waiting')), list = waiting();
    if (!list.length) ul.appendChild(el('li', { cls: 'muted', text: t('nothing_waiting') }));
    list.forEach(function (a) {
      var left = a.deadline ? (new Date(a.deadline).getTime() - Date.now()) / 1000 : null;
      ul.appendChild(el('li', {}, [MQ.badge(a.level), ' ', el('a', { href: '/matter?id=' + encodeURIComponent(a.matter_id), text: a.title }),
        el('div', { cls: 'muted' + (left !== null && left < 0 ? ' over' : ''), text: [a.township_name, MQ.st(a.status), left === null ? '' : t(left < 0 ? 'overdue_by' : 'left', { t: MQ.span(left) })].filter(Boolean).join(' · ') })]));
    });
    var n = MQ.clear($('#notes'));
    $('#notes_box').hidden = !notes.length;
    notes.slice(0, 10).forEach(function (x) { n.appendChild(el('li', {}, [el('div', { cls: 'muted', text: MQ.time(x.created_at) }), el('div', { text: String(x.body || '').replace(/[#*]+ ?/g, '') })])); });
  }
  function renderDigest() {
    var m = mine(), codes = m.map(function (s) { return s.code; });
    var open = digest ? digest.open : alerts.filter(function (a) { return codes.indexOf(a.township) >= 0; });
    var overdue = digest ? digest.overdue.length : m.reduce(function (k, s) { return k + s.overdue; }, 0);
    var count = function (l) { return open.filter(function (a) { return a.level === l; }).length; };
    var text = (leader ? leader.name + '：' : '') + t('digest_text', { areas: m.length, reports: m.reduce(function (k, s) { return k + s.reports_7d; }, 0), open: open.length, red: count('red'), orange: count('orange'), overdue: overdue });
    var top = open[0];
    if (top) text += ' ' + t('digest_top', { title: top.title, where: (towns.filter(function (s) { return s.code === top.township; })[0] || {}).name || '', level: MQ.lvl(top.level) });
    $('#digest').textContent = text;
    $('#digest_note').hidden = !!digest;
  }
  function render() { renderWho(); renderTiles(); renderWaiting(); renderDigest(); }
  function optional(p) { return p.then(function (d) { return d; }, function () { return null; }); }
  function load() {
    var id = leader ? leader.id : '';
    Promise.all([MQ.api.townships(), MQ.api.feed({ status: 'open', limit: 1000 }),
      id ? optional(MQ.api.digest(id)) : null, id ? optional(MQ.api.inbox(id)) : null]).then(function (r) {
      towns = r[0].items; alerts = r[1].items; digest = r[2]; notes = r[3] ? r[3].items : [];
      render();
    }, function (e) { MQ.toast(t('load_fail') + MQ.errText(e), true); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    MQ.onLang(render);
    $('#who').addEventListener('change', function () { chooseLeader($('#who').value); load(); });
    MQ.api.me().then(function (m) {
      if (m.role === 'leader') return { items: [{ id: m.leader_id, name: m.name, areas: m.regions }], own: m.leader_id };
      return m.role === 'admin' ? optional(MQ.api.leaders()) : null;
    }).then(function (d) {
      leaders = d ? d.items : [];
      chooseLeader((d && d.own) || new URLSearchParams(location.search).get('leader') || stored('mq.leader', ''));
      own = !!(d && d.own);
      var q = new URLSearchParams(location.search).get('areas');
      if (q && !leader) { areas = q.split(',').filter(Boolean); keep('mq.areas', areas); }
      load(); setInterval(load, 30000);
    });
  });
})(window.MQ = window.MQ || {});
