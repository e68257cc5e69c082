/* Staff sign-in: the server sets the session cookie and the CSRF cookie; then back to
 * the page that sent us here (?next=, same site only) or the alert feed. */
(function (MQ) {
  'use strict';
  var $ = MQ.$, t = MQ.t;

  function target() {
    var next = new URLSearchParams(location.search).get('next') || '';
    // Only a path on this site: never //other.host or a scheme (no open redirect).
    return /^\/(?![\/\\])/.test(next) ? next : '/analyst';
  }
  function fail(msg) { var n = $('#login_error'); n.textContent = msg; n.hidden = false; }

  function submit(ev) {
    ev.preventDefault();
    var u = $('#username').value.trim(), p = $('#password').value;
    if (!u || !p) { fail(t('login_need')); return; }
    $('#login_btn').disabled = true;
    MQ.api.login(u, p).then(function () { location.href = target(); }, function (e) {
      $('#login_btn').disabled = false; $('#password').value = '';
      fail(e.status === 401 ? t('login_wrong') : MQ.errText(e));
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    $('#login').addEventListener('submit', submit);
    $('#username').focus();
  });
})(window.MQ = window.MQ || {});
