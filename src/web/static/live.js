// Live dashboard pages: listens to /dashboard/events (Server-Sent Events) and, on a change,
// re-fetches this page and swaps only its live tables (accounts, orders, connections ...).
// Without this script (or JavaScript) the pages are the same, they just need a reload.
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  // Per page: groups of element ids, where one of each group is shown (a table, or its "none" text).
  var REGIONS = {
    '/dashboard': [['accounts', 'no-accounts']],
    '/dashboard/orders': [['orders', 'no-orders'], ['brakes']],
    '/dashboard/status': [['connections', 'no-connections'], ['metadata']],
  };
  // The order page (/dashboard/orders/<order_id>): its status, fields, fills and trail.
  var ORDER_PAGE = [['order-status'], ['status-reason'], ['order-fields'], ['order-fills', 'no-fills'], ['order-trail', 'no-trail']];
  REGIONS['/dashboard/fills'] = [['fills', 'no-fills']];
  var body = document.body;
  var groups = (REGIONS[location.pathname] || (location.pathname.indexOf('/dashboard/orders/') === 0 ? ORDER_PAGE : [])).slice();
  // Any page can opt in: an element with an id and data-live is swapped too.
  Array.prototype.forEach.call(document.querySelectorAll('[data-live][id]'), function (el) { groups.push([el.id]); });
  if (groups.length === 0) return;

  var timer = null, busy = false, again = false, refreshes = 0;
  var source = new EventSource('/dashboard/events');
  body.setAttribute('data-live', 'connecting');
  source.addEventListener('hello', function () { body.setAttribute('data-live', 'on'); });
  source.addEventListener('order', schedule);
  source.addEventListener('change', schedule);
  source.addEventListener('bye', function () { source.close(); body.setAttribute('data-live', 'off'); });
  source.onerror = function () { if (source.readyState === 2) body.setAttribute('data-live', 'off'); };

  function schedule() {
    if (timer === null) timer = setTimeout(refresh, 250); // a burst of events costs one fetch
  }

  function find(doc, ids) {
    for (var i = 0; i < ids.length; i++) {
      var el = doc.getElementById(ids[i]);
      if (el) return wrapperOf(el);
    }
    return null;
  }
  // A table sits alone in its scroll wrapper: swap the wrapper, so a table can replace a "none" text.
  function wrapperOf(el) {
    var p = el.parentElement;
    return p && p.tagName === 'DIV' && p.children.length === 1 && p.className.indexOf('overflow-auto') >= 0 ? p : el;
  }

  function refresh() {
    timer = null;
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', redirect: 'manual', headers: { Accept: 'text/html' } })
      .then(function (res) {
        if (res.type === 'opaqueredirect' || res.status === 401) { source.close(); body.setAttribute('data-live', 'off'); return null; }
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        groups.forEach(function (ids) {
          var now = find(document, ids), next = find(doc, ids);
          if (!now || !next || now.outerHTML === next.outerHTML) return;
          // The operator is on a button or field in it: keep it, try again shortly.
          if (now.contains(document.activeElement) && document.activeElement !== body) { again = true; return; }
          now.replaceWith(document.importNode(next, true));
        });
        body.setAttribute('data-live-refreshes', String(++refreshes));
      })
      .catch(function () { /* next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; timer = setTimeout(refresh, 1000); }
      });
  }
})();
