// Draws one uPlot line chart per currency from the JSON block the balances page embeds.
// The page works without this script (the same data is in the table below the chart).
(function () {
  'use strict';
  var dataEl = document.getElementById('balance-data');
  var host = document.getElementById('balance-charts');
  if (!dataEl || !host || typeof window.uPlot !== 'function') return;
  var data;
  try { data = JSON.parse(dataEl.textContent || '{}'); } catch (e) { return; }
  // Tables say UTC, so the chart does too: every date uPlot shows (axis ticks, legend) is in UTC,
  // whatever the browser's time zone.
  var utc = function (ts) { return window.uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); };
  var pad = function (n) { return (n < 10 ? '0' : '') + n; };
  var utcLabel = function (u, ts) {
    if (ts == null) return '\u2014';
    var d = new Date(ts * 1e3);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  };
  // Axis ticks as the tables write times (24 h, ISO dates), not uPlot's US default "12/7/26 1:20pm".
  var utcTicks = function (u, splits, axisIdx, space, incr) {
    var prevDay = '';
    return splits.map(function (ts) {
      var d = new Date(ts * 1e3);
      var day = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
      var hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + (incr < 60 ? ':' + pad(d.getUTCSeconds()) : '');
      var ms = incr < 1 ? '.' + String(d.getUTCMilliseconds() + 1000).slice(1) : '';
      var label = incr >= 86400 ? day : day !== prevDay ? day + '\n' + hm + ms : incr < 1 ? ':' + pad(d.getUTCSeconds()) + ms : hm;
      prevDay = day;
      return label;
    });
  };
  var colors = ['#1095c1', '#d81b60', '#43a047', '#fb8c00', '#5e35b1', '#6d4c41'];
  var currencies = Array.isArray(data.currencies) ? data.currencies : [];
  currencies.forEach(function (c, i) {
    var fig = document.createElement('figure');
    fig.className = 'balance-chart';
    fig.setAttribute('data-currency', c.currency);
    host.appendChild(fig);
    var xs = c.points.map(function (p) { return p[0]; });
    var ys = c.points.map(function (p) { return p[1]; });
    var width = Math.max(320, Math.floor(fig.getBoundingClientRect().width) || 420);
    new window.uPlot({
      title: c.currency + ' total',
      width: width,
      height: 220,
      tzDate: utc,
      scales: { x: { time: true } },
      axes: [{ label: 'time (UTC)', labelSize: 20, space: 70, values: utcTicks }, { size: 90, values: function (u, ticks) { return ticks.map(function (v) { return v.toLocaleString(); }); } }],
      series: [{ label: 'UTC', value: utcLabel }, { label: c.currency, stroke: colors[i % colors.length], width: 2, points: { show: xs.length < 50 } }],
    }, [xs, ys], fig);
  });
  host.setAttribute('data-rendered', String(currencies.length));
})();
