#include "krxbatch/serve/dashboard.hpp"

namespace krxbatch::serve {
namespace {

constexpr std::string_view k_dashboard_html = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>krxbatch</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/chart.js" defer></script>
<script src="/assets/dashboard.js" defer></script>
</head>
<body data-page="dashboard">
<header><h1>krxbatch</h1><span id="now"></span></header>
<main>
<section><h2>Jobs</h2><div id="jobs" class="cards"></div></section>
<section><h2>Open alerts</h2><ul id="alerts"></ul></section>
<section><h2>Analysis of the current session</h2><div id="analysis"></div></section>
<section class="charts">
<div><h2>KOSPI and KOSDAQ composites</h2><canvas id="composites"></canvas></div>
<div><h2>Score distribution</h2><canvas id="distribution"></canvas></div>
</section>
<section><h2>Top scores</h2><table id="top"><thead><tr><th>#</th><th>Ticker</th><th>Name</th><th>Market</th><th>Score</th></tr></thead><tbody></tbody></table></section>
<section><h2>Run history</h2><table id="runs"><thead><tr><th>Run</th><th>Job</th><th>Started</th><th>Outcome</th><th>Sessions</th><th>Rows</th><th>Seconds</th></tr></thead><tbody></tbody></table></section>
</main>
</body>
</html>
)HTML";

constexpr std::string_view k_stock_html = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>krxbatch: stock</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/chart.js" defer></script>
<script src="/assets/dashboard.js" defer></script>
</head>
<body data-page="stock">
<header><h1><a href="/">krxbatch</a> / <span id="title"></span></h1></header>
<main>
<section><div id="summary" class="cards"></div></section>
<section class="charts">
<div><h2>Adjusted close</h2><canvas id="prices"></canvas></div>
<div><h2>Volume</h2><canvas id="volume"></canvas></div>
<div><h2>Score history</h2><canvas id="scores"></canvas></div>
</section>
<section><h2>Corporate actions</h2><table id="actions"><thead><tr><th>Ex-date</th><th>Factor</th><th>Kind</th></tr></thead><tbody></tbody></table></section>
</main>
</body>
</html>
)HTML";

constexpr std::string_view k_css =
    R"CSS(body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:.6rem 1rem;display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap}
header h1{font-size:1.2rem;margin:0}header a{color:#fff}
main{padding:1rem;max-width:1200px;margin:auto}
h2{font-size:1rem;margin:.8rem 0 .4rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(16rem,100%),1fr));gap:.6rem}
.card{background:#fff;border-radius:6px;padding:.6rem .8rem;box-shadow:0 1px 2px #0002}
.card h3{margin:0 0 .3rem;font-size:1rem}.card dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.1rem .6rem;font-size:.9rem}
.card dt{color:#667}.card dd{margin:0}
.ok{border-left:4px solid #2a9d4b}.warn{border-left:4px solid #e0a800}.bad{border-left:4px solid #d33}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(18rem,100%),1fr));gap:.6rem}
.charts>div{min-width:0;position:relative;background:#fff;border-radius:6px;padding:.6rem;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem;display:block;overflow-x:auto}
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e3e5ea;white-space:nowrap}
ul{padding-left:1.2rem}.muted{color:#778}
)CSS";

constexpr std::string_view k_js = R"JS('use strict';
// The dashboard's script: reads the JSON API of the server that served it and fills the page.
const $ = (id) => document.getElementById(id);
const text = (v) => (v === null || v === undefined ? '-' : String(v));

async function api(path) {
  const res = await fetch(path, {headers: {Accept: 'application/json'}});
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error((body.error && body.error.message) || res.status + ' ' + path);
  }
  return res.json();
}

function el(tag, attrs, children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => (k === 'text' ? (e.textContent = v) : e.setAttribute(k, v)));
  (children || []).forEach((c) => e.appendChild(c));
  return e;
}

function row(cells) {
  return el('tr', {}, cells.map((c) => (c instanceof Node ? el('td', {}, [c]) : el('td', {text: text(c)}))));
}

function card(title, cls, pairs) {
  const dl = el('dl');
  pairs.forEach(([k, v]) => { dl.appendChild(el('dt', {text: k})); dl.appendChild(el('dd', {text: text(v)})); });
  return el('div', {class: 'card ' + cls, 'data-job': title}, [el('h3', {text: title}), dl]);
}

function lineChart(canvas, labels, datasets, type) {
  return new Chart(canvas, {
    type: type || 'line',
    data: {labels, datasets},
    options: {animation: false, responsive: true, maintainAspectRatio: true, aspectRatio: 2,
              elements: {point: {radius: 0}}, plugins: {legend: {display: datasets.length > 1}}},
  });
}

async function dashboard() {
  const status = await api('/api/v1/status');
  $('now').textContent = status.now;
  const schedule = await api('/api/v1/schedule');
  const nextRun = {};
  schedule.jobs.forEach((j) => { nextRun[j.job] = j.next_run; });
  const jobs = $('jobs');
  status.jobs.forEach((j) => {
    const behind = j.sessions_behind;
    const cls = j.state === 'failed' || behind > 1 ? 'bad' : behind === 1 || j.state === 'partial' ? 'warn' : 'ok';
    jobs.appendChild(card(j.job, cls, [
      ['last success', j.last_success_date], ['sessions behind', behind], ['state', j.state],
      ['running', j.running === null ? '?' : j.running ? 'yes' : 'no'],
      ['last run', j.last_run ? j.last_run.started_at + ' (' + j.last_run.outcome + ')' : null],
      ['next run', nextRun[j.job]]]));
  });
  const alerts = $('alerts');
  if (status.alerts.newest.length === 0) alerts.appendChild(el('li', {class: 'muted', text: 'none'}));
  status.alerts.newest.forEach((a) => alerts.appendChild(el('li', {text: a.severity + ' ' + a.rule + ': ' + a.message})));
  const an = status.analysis;
  $('analysis').appendChild(card('session ' + text(an.session), an.remaining ? 'warn' : 'ok', [
    ['targets', an.targets], ['done', an.done], ['remaining', an.remaining], ['failed', an.failed],
    ['ranked', an.ranked ? 'yes' : 'no'], ['sessions to score', an.incomplete.length]]));

  const runs = await api('/api/v1/runs?limit=20');
  const tb = $('runs').querySelector('tbody');
  runs.runs.forEach((r) => tb.appendChild(row([r.run_id, r.job, r.started_at, r.outcome,
    r.session_from ? r.session_from + ' .. ' + r.session_to : null, r.rows_written, r.duration_seconds])));

  const scores = await api('/api/v1/scores?limit=500');
  const top = $('top').querySelector('tbody');
  scores.scores.slice(0, 20).forEach((s) => top.appendChild(row([s.rank,
    el('a', {href: '/stock/' + s.ticker, text: s.ticker}), s.name, s.market, s.score.toFixed(1)])));
  const bins = new Array(10).fill(0);
  scores.scores.forEach((s) => { bins[Math.min(9, Math.floor(s.score / 10))] += 1; });
  lineChart($('distribution'), bins.map((_, i) => i * 10 + '-' + (i * 10 + 10)),
            [{label: 'stocks', data: bins, backgroundColor: '#3b6fd8'}], 'bar');

  const latest = status.latest_published_session;
  const from = new Date(Date.parse(latest) - 365 * 86400000).toISOString().slice(0, 10);
  const composites = await api('/api/v1/indices?from=' + from + '&to=' + latest);
  const series = composites.indices.filter((i) => i.closes.length > 0);
  const labels = series.length ? series[0].closes.map((c) => c.date) : [];
  lineChart($('composites'), labels, series.map((i, k) => ({label: i.market, data: i.closes.map((c) => c.close),
    borderColor: k ? '#d8703b' : '#3b6fd8', borderWidth: 1.5})));
}

async function stock() {
  const ticker = decodeURIComponent(location.pathname.split('/')[2] || '').toUpperCase();
  $('title').textContent = ticker;
  const prices = await api('/api/v1/prices/' + encodeURIComponent(ticker) + '?adjusted=true');
  document.title = 'krxbatch: ' + ticker + ' ' + text(prices.name);
  const bars = prices.bars.slice(-250);
  const labels = bars.map((b) => b.date);
  lineChart($('prices'), labels, [{label: 'close', data: bars.map((b) => b.close), borderColor: '#3b6fd8', borderWidth: 1.5}]);
  lineChart($('volume'), labels, [{label: 'volume', data: bars.map((b) => b.volume), backgroundColor: '#8aa4d8'}], 'bar');
  let score = null;
  let history = {scores: []};
  try {
    score = await api('/api/v1/scores/' + encodeURIComponent(ticker));
    history = await api('/api/v1/scores/' + encodeURIComponent(ticker) + '/history');
  } catch (e) {
    score = null; // not a target, or not analysed yet: no score to show
  }
  lineChart($('scores'), history.scores.map((s) => s.session),
            [{label: 'score', data: history.scores.map((s) => s.score), borderColor: '#2a9d4b', borderWidth: 1.5}]);
  $('summary').appendChild(card(ticker + ' ' + text(prices.name), 'ok', [
    ['market', prices.market], ['last close', bars.length ? bars[bars.length - 1].close : null],
    ['score', score ? score.score : null], ['rank', score ? score.rank + ' of ' + score.scored : null],
    ['session', score ? score.session : null]]));
  const actions = await api('/api/v1/actions?ticker=' + encodeURIComponent(ticker));
  const tb = $('actions').querySelector('tbody');
  actions.forEach((a) => tb.appendChild(row([a.ex_date, a.factor, a.kind])));
}

window.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  (page === 'stock' ? stock() : dashboard()).catch((e) => {
    document.querySelector('main').prepend(el('p', {class: 'card bad', text: 'Could not load: ' + e.message}));
  });
});
)JS";

} // namespace

std::string_view dashboard_html() {
  return k_dashboard_html;
}
std::string_view stock_html() {
  return k_stock_html;
}
std::string_view dashboard_js() {
  return k_js;
}
std::string_view dashboard_css() {
  return k_css;
}

} // namespace krxbatch::serve
