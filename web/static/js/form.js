/* Informant form. A report is first saved in this browser (localStorage), then sent;
 * if the network or the intake is down it stays queued and is retried with back-off,
 * on reconnect and on the next page load. The report id is made here, so a retry of a
 * report that did arrive (answer lost) is recognised by the intake and not doubled. */
(function (MQ) {
  'use strict';
  var $ = MQ.$, el = MQ.el, t = MQ.t;
  var QKEY = 'mq.queue', KEEP_SENT = 20, MAX_WAIT = 60;
  var tree = null, busy = false;

  function load(key, dflt) { try { return JSON.parse(localStorage.getItem(key)) || dflt; } catch (e) { return dflt; } }
  function save(key, v) { try { localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* full: keep in memory */ } }
  var queue = load(QKEY, []);
  function store() { save(QKEY, queue); }

  function newId() {
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    return 'r-' + Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  /* ---- region picker ---- */
  function option(value, text) { return el('option', { value: value, text: text }); }
  function fillTownships() {
    var s = MQ.clear($('#township'));
    s.appendChild(option('', t('choose_township')));
    tree.townships.forEach(function (tw) { s.appendChild(option(tw.code, tw.name)); });
  }
  function fillVillages() {
    var code = $('#township').value, s = MQ.clear($('#village'));
    s.appendChild(option('', t('choose_village')));
    var tw = tree.townships.filter(function (x) { return x.code === code; })[0];
    (tw ? tw.villages : []).forEach(function (v) { s.appendChild(option(v.code, v.name)); });
    s.disabled = !tw;
  }
  function setupPicker(data) {
    tree = data;
    var c = MQ.clear($('#county'));
    c.appendChild(option(tree.code, tree.name));
    fillTownships(); fillVillages();
    $('#township').addEventListener('change', fillVillages);
  }
  function loadRegions() {
    MQ.api.regions().then(function (d) { save('mq.regions', d); setupPicker(d); }, function () {
      var cached = load('mq.regions', null);
      if (cached) setupPicker(cached); else $('#picker').hidden = true;
    });
  }

  /* ---- chips and intents from the office's config ---- */
  function renderChoices() {
    var cats = MQ.clear($('#categories')), picked = (document.querySelector('input[name=category]:checked') || {}).value || '';
    [''].concat(Object.keys(MQ.boot.categories || {})).forEach(function (code) {
      cats.appendChild(el('label', {}, [
        el('input', { type: 'radio', name: 'category', value: code, checked: code === picked }),
        el('span', { text: code ? MQ.cat(code) : t('cat_unsure') })
      ]));
    });
    var box = $('#intents'), ticked = Array.prototype.map.call(box.querySelectorAll('input:checked'), function (c) { return c.value; });
    MQ.clear(box);
    Object.keys(MQ.boot.signals || {}).forEach(function (code) {
      var input = el('input', { type: 'checkbox', name: 'signals', value: code, checked: ticked.indexOf(code) >= 0 });
      box.appendChild(el('label', {}, [input, el('span', { text: MQ.intent(code) })]));
    });
  }

  /* ---- building and checking a report ---- */
  function body(f) {
    var people = f.people_involved.value;
    return {
      report_id: newId(), informant_id: f.informant_id.value.trim(),
      region_code: $('#village').value || $('#township').value || null,
      region_text: f.region_text.value.trim() || null,
      category: (f.querySelector('input[name=category]:checked') || {}).value || null,
      title: f.title.value.trim(), content: f.content.value.trim(),
      people_involved: people === '' ? null : parseInt(people, 10),
      signals: Array.prototype.map.call(f.querySelectorAll('input[name=signals]:checked'), function (c) { return c.value; }),
      channel: 'form'
    };
  }
  function problem(msg, field) {
    var n = $('#form_error'); n.hidden = !msg; n.textContent = msg || '';
    if (field) $('#' + field).focus();
  }

  /* ---- the queue ---- */
  function pump() {
    if (busy) return;
    var now = Date.now();
    var next = queue.filter(function (q) { return (q.state === 'queued' || q.state === 'waiting') && (q.next || 0) <= now; })[0];
    if (next) send(next);
  }
  function send(item) {
    busy = true; item.state = 'sending'; item.tries = (item.tries || 0) + 1; store(); render();
    MQ.api.submitReport(item.body).then(function (d) {
      item.state = 'sent'; item.receipt = d.receipt; item.sent_at = Date.now();
      showReceipt(d.receipt);
    }, function (e) {
      if (e.status === 0 || e.status >= 500 || e.status === 429) {
        item.state = 'waiting'; item.next = Date.now() + 1000 * Math.min(MAX_WAIT, Math.pow(2, item.tries));
      } else {
        item.state = 'rejected'; item.error = e.zh + ((e.errors || []).length ? '：' + e.errors.map(function (x) { return x.message_zh; }).join('；') : '');
      }
    }).then(function () {
      busy = false; trim(); store(); render(); setTimeout(pump, 50);
    });
  }
  function trim() {
    var sent = queue.filter(function (q) { return q.state === 'sent'; });
    if (sent.length > KEEP_SENT) {
      var drop = sent.slice(0, sent.length - KEEP_SENT);
      queue = queue.filter(function (q) { return drop.indexOf(q) < 0; });
    }
  }
  function showReceipt(code) {
    var box = $('#last'); box.hidden = false; $('#receipt').textContent = code; box.focus();
    $('#receipt_code').value = code;
  }
  function retryNow(item) { item.next = 0; item.state = 'queued'; store(); pump(); }
  function remove(item) { queue = queue.filter(function (q) { return q !== item; }); store(); render(); }

  function itemNode(q) {
    var kids = [el('span', { cls: 'state ' + q.state, text: t('st_' + q.state) }), el('b', { text: q.body.title })];
    if (q.state === 'sent') kids.push(el('div', {}, [t('receipt_is') + '：', el('span', { cls: 'receipt-sm', text: q.receipt })]));
    if (q.state === 'waiting') {
      kids.push(el('div', { cls: 'muted', text: t('saved_local') }));
      kids.push(el('div', { cls: 'muted countdown', 'data-next': q.next, 'data-tries': q.tries }));
      kids.push(el('button', { type: 'button', text: t('retry_now'), onclick: function () { retryNow(q); } }));
    }
    if (q.state === 'rejected') {
      kids.push(el('div', { cls: 'muted', text: q.error }));
      kids.push(el('button', { type: 'button', text: t('remove'), onclick: function () { remove(q); } }));
    }
    return el('li', { 'data-state': q.state, 'data-id': q.body.report_id }, kids);
  }
  function render() {
    var ul = MQ.clear($('#queue'));
    if (!queue.length) ul.appendChild(el('li', { cls: 'muted', text: t('queue_empty') }));
    queue.slice().reverse().forEach(function (q) { ul.appendChild(itemNode(q)); });
    $('#offline').hidden = navigator.onLine !== false;
    tick();
  }
  function tick() {
    document.querySelectorAll('.countdown').forEach(function (n) {
      var s = Math.max(0, Math.ceil((Number(n.getAttribute('data-next')) - Date.now()) / 1000));
      n.textContent = t('retry_in', { s: s, n: n.getAttribute('data-tries') });
    });
  }

  function submit(ev) {
    ev.preventDefault();
    var f = ev.target, b = body(f);
    if (!b.informant_id) return problem(t('need_informant'), 'informant_id');
    if (!b.title) return problem(t('need_title'), 'title');
    problem('');
    try { localStorage.setItem('mq.informant', b.informant_id); } catch (e) { /* ignore */ }
    queue.push({ body: b, state: 'queued', tries: 0, at: Date.now() });
    store(); render();
    f.title.value = ''; f.content.value = ''; f.people_involved.value = '';
    f.querySelectorAll('input[name=signals]').forEach(function (c) { c.checked = false; });
    pump();
  }

  function lookup(ev) {
    ev.preventDefault();
    var code = $('#receipt_code').value.trim().toUpperCase(), out = $('#lookup_result');
    if (!code) return;
    out.textContent = '…';
    MQ.api.reportStatus(code).then(function (d) {
      out.textContent = code + '：' + t('rs_' + d.status); out.setAttribute('data-status', d.status);
    }, function (e) {
      out.textContent = e.status === 404 ? t('lookup_none') : MQ.errText(e); out.removeAttribute('data-status');
    });
  }

  /* ---- enrollment: production takes reports from enrolled phones only ---- */
  function showDevice() {
    var dev = MQ.api.device(), open = MQ.boot.open_intake !== false;
    $('#enroll').hidden = !!dev || open;
    $('#report').hidden = !dev && !open;
    $('#enrolled').hidden = !dev;
    if (!dev) return;
    // The server files the report under the device's pseudonymous id, whatever is typed.
    $('#informant_id').value = dev.informant_id; $('#informant_id').readOnly = true;
    $('#enrolled').textContent = t('enrolled', { id: dev.informant_id });
  }
  function enroll(ev) {
    ev.preventDefault();
    var code = $('#enroll_code').value.trim();
    if (!code) { $('#enroll_code').focus(); return; }
    MQ.api.enroll(code).then(showDevice, function (e) { MQ.toast(t('enroll_fail') + MQ.errText(e), true); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    try { $('#informant_id').value = localStorage.getItem('mq.informant') || ''; } catch (e) { /* ignore */ }
    showDevice();
    $('#enroll').addEventListener('submit', enroll);
    renderChoices(); render(); loadRegions();
    $('#report').addEventListener('submit', submit);
    $('#lookup').addEventListener('submit', lookup);
    window.addEventListener('online', function () { queue.forEach(function (q) { if (q.state === 'waiting') q.next = 0; }); render(); pump(); });
    window.addEventListener('offline', render);
    MQ.onLang(function () { renderChoices(); render(); if (tree) { var tw = $('#township').value; fillTownships(); $('#township').value = tw; } });
    setInterval(function () { tick(); pump(); }, 1000);
    // Lets the form open with no network at all (needs https or localhost).
    if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(function () { /* form works without */ });
    // A report left "sending" by a closed page was never confirmed: send it again.
    queue.forEach(function (q) { if (q.state === 'sending') q.state = 'queued'; });
    pump();
  });
})(window.MQ = window.MQ || {});
