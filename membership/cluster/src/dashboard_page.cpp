// The live cluster dashboard page the admin server serves at / (see
// dashboard_page.hpp). Its style and script are inline, in one raw string,
// so the binary carries the whole page and it works with no internet and no
// files beside the executable. Every string from /api/cluster reaches the
// DOM through textContent or an attribute, never through innerHTML.
#include "dashboard_page.hpp"

namespace rpcnet {

const std::string_view dashboard_page = R"rpcnet_page(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rpcnet cluster</title>
<style>
:root {
  --bg: #f6f8fa; --card: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5;
  --bad: #cf222e; --bad-bg: #ffebe9; --off: #59636e; --off-bg: #eaeef2;
  --info: #0969da; --info-bg: #ddf4ff;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg); font-size: 14px; line-height: 1.4;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header {
  display: flex; align-items: center; gap: 12px; flex-wrap: wrap;
  padding: 12px 20px; background: var(--card); border-bottom: 1px solid var(--line);
}
header h1 { font-size: 18px; margin: 0; }
#node-address { font-weight: 600; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#node-id { color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
#updated { margin-left: auto; color: var(--muted); font-size: 12px; }
.pill {
  display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: var(--off-bg); color: var(--off);
}
#status[data-ok="true"] { background: var(--ok-bg); color: var(--ok); }
#status[data-ok="false"] { background: var(--bad-bg); color: var(--bad); }
main {
  display: grid; gap: 16px; padding: 16px 20px; max-width: 1400px; margin: 0 auto;
  grid-template-columns: minmax(0, 1fr) minmax(0, 2fr);
  grid-template-areas: "summary summary" "rate chart" "members members" "workers events";
}
@media (max-width: 760px) {
  main { grid-template-columns: minmax(0, 1fr); grid-template-areas: "summary" "rate" "chart" "members" "workers" "events"; }
}
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
#summary-card { grid-area: summary; padding: 8px 14px; }
#rate-card { grid-area: rate; display: flex; flex-direction: column; justify-content: center; }
#chart-card { grid-area: chart; }
#members-card { grid-area: members; }
#workers-card { grid-area: workers; }
#events-card { grid-area: events; }
#summary { display: flex; gap: 18px; flex-wrap: wrap; align-items: center; }
#summary .count { display: inline-flex; gap: 6px; align-items: center; }
#summary b { font-size: 16px; font-variant-numeric: tabular-nums; }
#calls-per-second { font-size: 48px; font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }
.unit { color: var(--muted); }
.chart-head { display: flex; justify-content: space-between; align-items: baseline; }
#chart-max { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
#chart { display: block; width: 100%; height: 120px; }
.scroll { max-height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.scroll.short { max-height: 300px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; white-space: nowrap; border-bottom: 1px solid #eef1f4; }
th { position: sticky; top: 0; z-index: 1; background: #f0f3f6; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
tbody tr:hover { background: #f6f8fa; }
td.tags { white-space: normal; }
.tag { display: inline-block; margin: 1px 4px 1px 0; padding: 0 6px; border-radius: 4px; background: var(--off-bg); font-size: 12px; }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--off-bg); color: var(--off); }
[data-state="alive"] > .badge, .count[data-state="alive"] b { color: var(--ok); }
[data-state="alive"] > .badge { background: var(--ok-bg); }
[data-state="suspect"] > .badge, .count[data-state="suspect"] b { color: var(--warn); }
[data-state="suspect"] > .badge { background: var(--warn-bg); }
[data-state="failed"] > .badge, .count[data-state="failed"] b { color: var(--bad); }
[data-state="failed"] > .badge { background: var(--bad-bg); }
tr[data-state="left"] { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; margin: 6px 2px 0; }
#events { list-style: none; margin: 0; padding: 0; max-height: 300px; overflow: auto; font-size: 13px; }
#events li { display: grid; grid-template-columns: 72px 84px minmax(0, 1fr); gap: 8px; padding: 3px 4px; border-bottom: 1px solid #eef1f4; }
#events time { color: var(--muted); font-variant-numeric: tabular-nums; }
#events .kind { font-weight: 600; }
#events .addr { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
li[data-kind="joined"] .kind, li[data-kind="recovered"] .kind { color: var(--ok); }
li[data-kind="suspected"] .kind { color: var(--warn); }
li[data-kind="failed"] .kind { color: var(--bad); }
li[data-kind="left"] .kind { color: var(--off); }
li[data-kind="updated"] .kind { color: var(--info); }
</style>
</head>
<body>
<header>
  <h1>rpcnet cluster</h1>
  <span id="node-address">&ndash;</span>
  <span id="node-id"></span>
  <span id="status" class="pill">connecting&hellip;</span>
  <span id="updated"></span>
</header>
<main>
  <section id="summary-card">
    <div id="summary">
      <span class="count"><b id="count-total">0</b> members</span>
      <span class="count" data-state="alive"><b id="count-alive">0</b> alive</span>
      <span class="count" data-state="suspect"><b id="count-suspect">0</b> suspect</span>
      <span class="count" data-state="failed"><b id="count-failed">0</b> failed</span>
      <span class="count" data-state="left"><b id="count-left">0</b> left</span>
      <span class="count"><b id="count-workers">0</b> workers</span>
    </div>
  </section>
  <section id="rate-card">
    <h2>Cluster calls per second</h2>
    <div><span id="calls-per-second">0</span> <span class="unit">calls/s</span></div>
  </section>
  <section id="chart-card">
    <div class="chart-head"><h2>Calls per second, last 120 s</h2><span id="chart-max">max 0</span></div>
    <canvas id="chart" height="120"></canvas>
  </section>
  <section id="members-card">
    <h2>Members</h2>
    <div class="scroll">
      <table id="members">
        <thead><tr><th>Name</th><th>Address</th><th>State</th><th class="num">Incarnation</th><th class="num">Phi</th><th>Tags</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <p class="empty" id="members-empty" hidden>No members.</p>
  </section>
  <section id="workers-card">
    <h2>Workers</h2>
    <div class="scroll short">
      <table id="workers">
        <thead><tr><th>Label</th><th>Address</th><th class="num">In flight</th><th class="num">Calls/s</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <p class="empty" id="workers-empty" hidden>No workers.</p>
  </section>
  <section id="events-card">
    <h2>Recent events</h2>
    <ol id="events"></ol>
    <p class="empty" id="events-empty" hidden>No events yet.</p>
  </section>
</main>
<script>
'use strict';
(function () {
  const POLL_MS = 1000;
  const TIMEOUT_MS = 5000;
  const SAMPLES = 120;
  const STATES = ['failed', 'suspect', 'alive', 'left'];
  const samples = [];
  let lastEvents = '';
  // The last reading of each worker's calls_total, for the rate.
  let previous = null;

  const $ = (id) => document.getElementById(id);
  const str = (v) => (v === null || v === undefined) ? '' : String(v);
  const num = (v) => (typeof v === 'number' && isFinite(v)) ? v : 0;
  const fixed1 = (v) => num(v).toFixed(1);

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }
  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }
  function stateRank(s) {
    const i = STATES.indexOf(s);
    return i < 0 ? STATES.length : i;
  }
  function memberName(m) {
    const tags = m.tags || {};
    const label = str(tags.label);
    return label !== '' ? label : str(m.id).slice(0, 8);
  }
  function byName(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // Brings tbody's rows in line with items, in their order: rows are keyed by
  // data-id and reused, new ones made by make(), stale ones removed.
  function syncRows(tbody, items, make, fill) {
    const existing = new Map();
    for (const tr of Array.from(tbody.rows)) existing.set(tr.dataset.id, tr);
    const seen = new Set();
    let at = 0;
    for (const item of items) {
      const id = str(item.id);
      if (seen.has(id)) continue;
      seen.add(id);
      let tr = existing.get(id);
      if (!tr) {
        tr = make();
        tr.dataset.id = id;
      }
      fill(tr, item);
      const here = tbody.rows[at] || null;
      if (here !== tr) tbody.insertBefore(tr, here);
      at++;
    }
    for (const [id, tr] of existing) if (!seen.has(id)) tr.remove();
    return at;
  }

  function makeRow(cells, classes) {
    const tr = document.createElement('tr');
    for (let i = 0; i < cells; i++) {
      const td = document.createElement('td');
      if (classes[i]) td.className = classes[i];
      tr.appendChild(td);
    }
    return tr;
  }

  function fillTags(td, tags) {
    const pairs = Object.keys(tags || {}).sort().map((k) => k + '=' + str(tags[k]));
    const sig = JSON.stringify(pairs);
    if (td.dataset.sig === sig) return;
    td.dataset.sig = sig;
    td.replaceChildren(...pairs.map((p) => {
      const span = document.createElement('span');
      span.className = 'tag';
      span.textContent = p;
      return span;
    }));
  }

  function renderMembers(members) {
    const sorted = members.slice().sort((a, b) =>
      (stateRank(a.state) - stateRank(b.state)) || byName(memberName(a), memberName(b)) ||
      byName(str(a.id), str(b.id)));
    const counts = { alive: 0, suspect: 0, failed: 0, left: 0 };
    for (const m of members) if (m.state in counts) counts[m.state]++;
    for (const s of STATES) setText($('count-' + s), String(counts[s]));
    setText($('count-total'), String(members.length));
    const rows = syncRows($('members').tBodies[0], sorted,
      () => {
        const tr = makeRow(6, ['', 'mono', '', 'num', 'num', 'tags']);
        const badge = document.createElement('span');
        badge.className = 'badge';
        tr.cells[2].appendChild(badge);
        return tr;
      },
      (tr, m) => {
        const state = str(m.state);
        setAttr(tr, 'data-state', state);
        setAttr(tr.cells[2], 'data-state', state);
        setText(tr.cells[0], memberName(m));
        setAttr(tr.cells[0], 'title', str(m.id));
        setText(tr.cells[1], str(m.address));
        setText(tr.cells[2].firstChild, state);
        setText(tr.cells[3], str(m.incarnation));
        setText(tr.cells[4], typeof m.phi === 'number' && isFinite(m.phi) ? m.phi.toFixed(2) : '\u2013');
        fillTags(tr.cells[5], m.tags);
      });
    $('members-empty').hidden = rows > 0;
  }

  function renderWorkers(workers) {
    const label = (w) => str(w.label) !== '' ? str(w.label) : str(w.id).slice(0, 8);
    const sorted = workers.slice().sort((a, b) =>
      byName(label(a), label(b)) || byName(str(a.id), str(b.id)));
    setText($('count-workers'), String(workers.length));
    const rows = syncRows($('workers').tBodies[0], sorted,
      () => makeRow(4, ['', 'mono', 'num', 'num']),
      (tr, w) => {
        setText(tr.cells[0], label(w));
        setAttr(tr.cells[0], 'title', str(w.id));
        setText(tr.cells[1], str(w.address));
        setText(tr.cells[2], String(num(w.in_flight)));
        setText(tr.cells[3], fixed1(w.calls_per_second));
      });
    $('workers-empty').hidden = rows > 0;
  }

  function renderEvents(events) {
    const sig = JSON.stringify(events);
    if (sig === lastEvents) return;
    lastEvents = sig;
    const items = [];
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      const li = document.createElement('li');
      li.setAttribute('data-kind', str(e.kind));
      li.title = str(e.id);
      const time = document.createElement('time');
      const when = new Date(num(e.time_ms));
      if (!isNaN(when.getTime())) {
        time.dateTime = when.toISOString();
        time.textContent = when.toLocaleTimeString([], { hour12: false });
      }
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = str(e.kind);
      const addr = document.createElement('span');
      addr.className = 'addr';
      addr.textContent = str(e.address);
      li.append(time, kind, addr);
      items.push(li);
    }
    $('events').replaceChildren(...items);
    $('events-empty').hidden = items.length > 0;
  }

  function drawChart() {
    const canvas = $('chart');
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (w === 0 || h === 0) return;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const max = samples.reduce((m, v) => Math.max(m, v), 0);
    setText($('chart-max'), 'max ' + fixed1(max));
    const top = max > 0 ? max * 1.1 : 1;
    const pad = 4;
    const x = (i) => (w - 1) - (samples.length - 1 - i) * ((w - 1) / (SAMPLES - 1));
    const y = (v) => pad + (h - 2 * pad) * (1 - v / top);
    ctx.strokeStyle = '#eef1f4';
    ctx.lineWidth = 1;
    for (let g = 1; g <= 3; g++) {
      const gy = Math.round(pad + (h - 2 * pad) * g / 4) + 0.5;
      ctx.beginPath(); ctx.moveTo(0, gy); ctx.lineTo(w, gy); ctx.stroke();
    }
    if (samples.length === 0) return;
    ctx.beginPath();
    samples.forEach((v, i) => { if (i === 0) ctx.moveTo(x(i), y(v)); else ctx.lineTo(x(i), y(v)); });
    ctx.strokeStyle = '#0969da';
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.stroke();
    ctx.lineTo(x(samples.length - 1), h - pad);
    ctx.lineTo(x(0), h - pad);
    ctx.closePath();
    ctx.fillStyle = 'rgba(9, 105, 218, 0.12)';
    ctx.fill();
  }

  function render(data) {
    const node = data.node || {};
    const address = str(node.address);
    setText($('node-address'), address || '\u2013');
    setText($('node-id'), str(node.id).slice(0, 16));
    setAttr($('node-id'), 'title', str(node.id));
    document.title = 'rpcnet cluster \u2013 ' + address;
    // Calls per second from two readings of each worker's calls_total: the
    // node serves counters, the page takes the rate.
    const workers = Array.isArray(data.workers) ? data.workers : [];
    const now = num(data.time_ms);
    const dt = previous && now > previous.time ? (now - previous.time) / 1000 : 0;
    let cps = 0;
    const totals = new Map();
    for (const w of workers) {
      const total = num(w.calls_total);
      totals.set(str(w.id), total);
      const before = previous ? previous.totals.get(str(w.id)) : undefined;
      w.calls_per_second = dt > 0 && before !== undefined && total >= before
        ? (total - before) / dt : 0;
      cps += w.calls_per_second;
    }
    previous = { time: now, totals };
    setText($('calls-per-second'), fixed1(cps));
    samples.push(cps);
    while (samples.length > SAMPLES) samples.shift();
    renderMembers(Array.isArray(data.members) ? data.members : []);
    renderWorkers(workers);
    renderEvents(Array.isArray(data.events) ? data.events : []);
    drawChart();
    const when = data.time_ms ? new Date(num(data.time_ms)) : new Date();
    setText($('updated'), 'updated ' + when.toLocaleTimeString([], { hour12: false }));
  }

  function setStatus(ok, why) {
    const el = $('status');
    setAttr(el, 'data-ok', ok ? 'true' : 'false');
    setText(el, ok ? 'live' : 'disconnected');
    setAttr(el, 'title', ok ? '' : str(why));
  }

  async function poll() {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      const res = await fetch('/api/cluster', { cache: 'no-store', signal: abort.signal });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const data = await res.json();
      render(data);
      setStatus(true);
    } catch (err) {
      setStatus(false, err && err.message ? err.message : err);
    } finally {
      clearTimeout(timer);
      setTimeout(poll, POLL_MS);
    }
  }

  window.addEventListener('resize', drawChart);
  poll();
})();
</script>
</body>
</html>
)rpcnet_page";

} // namespace rpcnet
