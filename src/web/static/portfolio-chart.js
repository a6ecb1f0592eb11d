// Draws the portfolio value line (uPlot, time axis in UTC like every time on the dashboard) from
// the JSON block the portfolio page embeds. Without it the page still has the same numbers in a table.
(function () {
  'use strict';
  var dataEl = document.getElementById('portfolio-data');
  var host = document.getElementById('portfolio-chart');
  if (!dataEl || !host || typeof window.uPlot !== 'function') return;
  var data;
  try { data = JSON.parse(dataEl.textContent || '{}'); } catch (e) { return; }
  var points = Array.isArray(data.points) ? data.points : [];
  var xs = points.map(function (p) { return p[0]; });
  var ys = points.map(function (p) { return p[1]; });
  var width = Math.max(320, Math.floor(host.getBoundingClientRect().width) || 640);
  new window.uPlot({
    title: 'Value in ' + data.quote + ' (UTC)',
    width: width,
    height: 260,
    tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
    scales: { x: { time: true } },
    axes: [{}, { size: 100, values: function (u, ticks) { return ticks.map(function (v) { return v.toLocaleString('en-US'); }); } }],
    series: [{}, { label: data.quote, stroke: '#1095c1', width: 2, points: { show: xs.length < 50 } }],
  }, [xs, ys], host);
  host.setAttribute('data-rendered', String(xs.length));
})();
