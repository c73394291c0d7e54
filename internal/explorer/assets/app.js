// The provernet explorer: a single-page app over this node's JSON API
// (docs/API.md), served by the node itself (internal/explorer).
//
// Invariants: it loads nothing but this file, app.css and same-origin /v1
// answers. Every value from the API enters the page as a Text node or an
// attribute set with setAttribute (el, svg below), never as HTML; the only
// hrefs it builds are "#/..." routes and "/v1/..." paths, each value in them
// passed through encodeURIComponent. Amounts are uprv integers, shown as PRV
// (1 PRV = 1,000,000 uprv).
'use strict';
(() => {
  const UPRV = 1000000;
  const LATEST = 200; // workloads the overview reads: the newest page
  const BLOCKS = 20; // blocks the overview and the blocks page read
  const FEED_MAX = 200; // rows of the live feed
  const REFRESH_MS = 3000;
  const SVGNS = 'http://www.w3.org/2000/svg'; // an XML namespace name, never fetched
  const TERMINAL = ['final', 'failed', 'rejected', 'expired'];
  const main = document.getElementById('main');

  // ---- the DOM, from text only ----

  // el makes an element; attrs are set with setAttribute (on* keys take a
  // function as a listener); kids are nodes or text.
  function el(tag, attrs, ...kids) {
    return fill(document.createElement(tag), attrs, kids);
  }
  function svg(tag, attrs, ...kids) {
    return fill(document.createElementNS(SVGNS, tag), attrs, kids);
  }
  function fill(e, attrs, kids) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      e.append(kid instanceof Node ? kid : String(kid));
    }
    return e;
  }
  const enc = encodeURIComponent;
  const link = (route, text, title) => el('a', { href: '#/' + route, title }, text);
  const wlLink = (id) => (id ? link('workload/' + enc(id), short(id), id) : '–');
  const prvLink = (a) => (a ? link('prover/' + enc(a), shortAddr(a), a) : '–');
  const blockLink = (h) => (h ? link('block/' + enc(h), String(h)) : '–');
  const apiLink = (path, text) => el('a', { href: path, class: 'raw' }, text || 'JSON');

  // ---- formatting ----

  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  // prv shows an amount in uprv as PRV, exactly (no float rounding).
  function prv(u) {
    if (u == null || u === '') return '–';
    u = Number(u);
    const whole = Math.floor(u / UPRV);
    const frac = String(u % UPRV).padStart(6, '0').replace(/0+$/, '');
    return group(whole) + (frac ? '.' + frac : '') + ' PRV';
  }
  const num = (n) => (n == null ? '–' : group(n));
  function short(id) {
    id = String(id || '');
    return id.length > 14 ? id.slice(0, 8) + '…' + id.slice(-4) : id;
  }
  function shortAddr(a) {
    a = String(a || '');
    return a.length > 18 ? a.slice(0, 10) + '…' + a.slice(-6) : a;
  }
  function ago(t) {
    const s = Math.round((Date.now() - Date.parse(t)) / 1000);
    if (!isFinite(s)) return '–';
    if (s < 60) return Math.max(s, 0) + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    return Math.round(s / 3600) + ' h ago';
  }
  const clock = (t) => (t ? new Date(t).toLocaleTimeString() : '–');
  function secs(x) {
    if (x == null || !isFinite(x)) return '–';
    return x < 10 ? x.toFixed(2) + ' s' : x.toFixed(1) + ' s';
  }
  function hardware(hw) {
    if (!hw) return '–';
    const parts = [hw.cpu_cores + ' cpu', Math.round(hw.memory_mb / 1024 * 10) / 10 + ' GiB'];
    for (const g of hw.gpus || []) parts.push(g.model + ' ' + Math.round(g.memory_mb / 1024) + ' GiB');
    return parts.join(' · ');
  }
  const pill = (state) => el('span', { class: 'pill s-' + String(state).replace(/[^a-z_]/g, '') }, state || '–');
  const yes = (b) => (b ? 'yes' : 'no');

  // ---- the API ----

  async function api(path) {
    const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    let body = null;
    try {
      body = await r.json();
    } catch (_) {
      body = null;
    }
    if (!r.ok) {
      const e = new Error((body && body.error) || r.status + ' ' + r.statusText);
      e.status = r.status;
      e.hint = body && body.hint;
      throw e;
    }
    return body;
  }
  // all follows a list's pages (key: its records' name), up to max pages.
  async function all(path, key, max) {
    const out = [];
    let cursor = '';
    for (let i = 0; i < max; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const page = await api(path + sep + 'limit=1000' + (cursor ? '&cursor=' + enc(cursor) : ''));
      out.push(...(page[key] || []));
      cursor = page.next;
      if (!cursor) return { records: out, more: false };
    }
    return { records: out, more: true };
  }
  // Blocks never change: kept by height.
  const blockCache = new Map();
  async function block(h) {
    if (blockCache.has(h)) return blockCache.get(h);
    const b = await api('/v1/blocks/' + h);
    blockCache.set(h, b);
    if (blockCache.size > 500) blockCache.delete(blockCache.keys().next().value);
    return b;
  }
  async function latestBlocks(height, n) {
    const hs = [];
    for (let h = height; h > 0 && hs.length < n; h--) hs.push(h);
    return (await Promise.all(hs.map((h) => block(h).catch(() => null)))).filter(Boolean);
  }
  // avgBlockTime is the mean interval (seconds) over blocks newest first.
  function avgBlockTime(bs) {
    if (bs.length < 2) return null;
    return (Date.parse(bs[0].time) - Date.parse(bs[bs.length - 1].time)) / 1000 / (bs.length - 1);
  }
  // The overview, redrawn every few seconds, reads the provers (every page)
  // at most every 15 s.
  let proverCache = { at: 0, list: null };
  async function proversCached() {
    if (!proverCache.list || Date.now() - proverCache.at > 15000) proverCache = { at: Date.now(), list: await all('/v1/provers', 'provers', 10) };
    return proverCache.list;
  }
  let programCache = { at: 0, names: new Map() };
  async function programNames() {
    if (Date.now() - programCache.at < 30000) return programCache.names;
    const names = new Map();
    try {
      for (const p of (await all('/v1/programs', 'programs', 5)).records) names.set(p.id, p.name);
    } catch (_) {
      return programCache.names;
    }
    programCache = { at: Date.now(), names };
    return names;
  }
  const programLabel = (names, id) => el('span', { title: id }, names.get(id) || short(id));

  // ---- building blocks ----

  function kv(rows) {
    return el('table', { class: 'kv' },
      rows.filter(Boolean).map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v == null || v === '' ? '–' : v))));
  }
  // table: cols are [title, cell(row)] pairs.
  function table(cols, rows, attrs) {
    return el('div', { class: 'scroll' }, el('table', Object.assign({ class: 'grid' }, attrs),
      el('thead', {}, el('tr', {}, cols.map(([t]) => el('th', {}, t)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, cols.map(([, f]) => el('td', {}, f(r))))))));
  }
  // paged fills a table a page at a time: load(cursor) answers
  // {rows, next}; an "older" button under it loads the next page into the
  // same table. It resolves once the first page is in.
  async function paged(box, cols, load, attrs, empty) {
    const first = await load('');
    if (!first.rows.length) {
      box.append(note(empty));
      return;
    }
    const wrap = table(cols, [], attrs);
    const body = wrap.querySelector('tbody');
    box.append(wrap);
    const add = (page) => {
      for (const r of page.rows) body.append(el('tr', {}, cols.map(([, f]) => el('td', {}, f(r)))));
      if (!page.next) return;
      const b = el('button', {
        onclick: () => {
          b.disabled = true;
          load(page.next).then((p) => { b.remove(); add(p); }, (e) => { b.replaceWith(errorBox(e)); });
        },
      }, 'older');
      box.append(b);
    };
    add(first);
  }
  const card = (label, value, sub, cls) =>
    el('div', { class: 'card ' + (cls || '') }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value), sub ? el('div', { class: 'sub' }, sub) : null);
  const section = (title, ...kids) => el('section', {}, el('h2', {}, title), kids);
  const note = (text) => el('p', { class: 'muted' }, text);

  // ---- charts: inline SVG ----

  const W = 480, H = 200, PAD = { l: 52, r: 10, t: 10, b: 34 };

  function frame(id, title, caption, body) {
    return el('figure', { class: 'chart', id }, el('figcaption', {}, title), body, caption ? el('div', { class: 'sub' }, caption) : null);
  }
  function axes(maxY, fmtY) {
    const g = svg('g', { class: 'axes' });
    g.append(svg('path', { d: `M${PAD.l},${PAD.t}V${H - PAD.b}H${W - PAD.r}`, class: 'axis' }));
    for (const f of [0, 0.5, 1]) {
      const y = H - PAD.b - f * (H - PAD.t - PAD.b);
      g.append(svg('path', { d: `M${PAD.l},${y}H${W - PAD.r}`, class: 'gridline' }));
      g.append(svg('text', { x: PAD.l - 4, y: y + 4, 'text-anchor': 'end' }, fmtY(maxY * f)));
    }
    return g;
  }
  // barChart draws bars: [{label, value, title}], in the order given.
  function barChart(id, title, caption, bars, fmtY) {
    if (!bars.length) return frame(id, title, caption, note('Nothing to draw yet.'));
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
    const maxY = Math.max(...bars.map((b) => b.value), 1e-9);
    s.append(axes(maxY, fmtY));
    const bw = (W - PAD.l - PAD.r) / bars.length;
    const every = Math.ceil(bars.length / 12);
    bars.forEach((b, i) => {
      const h = (b.value / maxY) * (H - PAD.t - PAD.b);
      const x = PAD.l + i * bw;
      s.append(svg('rect', { class: 'bar', x: x + bw * 0.1, y: H - PAD.b - h, width: Math.max(bw * 0.8, 1), height: h },
        svg('title', {}, b.title || b.label + ': ' + fmtY(b.value))));
      if (i % every === 0) s.append(svg('text', { x: x + bw / 2, y: H - PAD.b + 14, 'text-anchor': 'middle' }, b.label));
    });
    return frame(id, title, caption, s);
  }
  // lineChart draws points [{x, y, title}] sorted by x, as a path and dots.
  function lineChart(id, title, caption, pts, fmtX, fmtY) {
    if (!pts.length) return frame(id, title, caption, note('Nothing to draw yet.'));
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
    let minX = pts[0].x, maxX = pts[pts.length - 1].x;
    if (maxX === minX) [minX, maxX] = [minX - 1, maxX + 1];
    const maxY = Math.max(...pts.map((p) => p.y), 1e-9);
    s.append(axes(maxY, fmtY));
    const X = (x) => PAD.l + ((x - minX) / (maxX - minX)) * (W - PAD.l - PAD.r);
    const Y = (y) => H - PAD.b - (y / maxY) * (H - PAD.t - PAD.b);
    s.append(svg('path', { class: 'line', d: pts.map((p, i) => (i ? 'L' : 'M') + X(p.x).toFixed(1) + ',' + Y(p.y).toFixed(1)).join('') }));
    for (const p of pts) s.append(svg('circle', { class: 'dot', cx: X(p.x), cy: Y(p.y), r: 3 }, svg('title', {}, p.title)));
    for (const x of [minX, maxX]) s.append(svg('text', { x: X(x), y: H - PAD.b + 14, 'text-anchor': 'middle' }, fmtX(x)));
    return frame(id, title, caption, s);
  }
  // histogram buckets values (integers) into at most 20 bars.
  function histogram(values) {
    if (!values.length) return [];
    const lo = Math.min(...values), hi = Math.max(...values);
    const width = Math.max(1, Math.ceil((hi - lo + 1) / 20));
    const bars = [];
    for (let a = lo; a <= hi; a += width) {
      const b = a + width - 1;
      const n = values.filter((v) => v >= a && v <= b).length;
      const label = width === 1 ? String(a) : a + '–' + b;
      bars.push({ label, value: n, title: label + ' blocks: ' + n + ' workload' + (n === 1 ? '' : 's') });
    }
    return bars;
  }
  const mcycles = (c) => Math.max(1, Math.ceil(c / 1e6));
  // Axis labels: counts, and uprv as PRV to three significant digits.
  const axisCount = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  function axisPRV(u) {
    const v = u / UPRV;
    return v >= 1000 ? group(Math.round(v)) : String(Number(v.toPrecision(3)));
  }

  function latencyChart(ws) {
    const vals = ws.filter((w) => w.state === 'final' && w.final_height).map((w) => w.final_height - w.height);
    return barChart('chart-latency', 'Latency: blocks from Run to final', 'final workloads of the latest ' + ws.length, histogram(vals), axisCount);
  }
  function rewardChart(ws, provers) {
    const pay = new Map();
    for (const p of provers) if (p.state === 'active') pay.set(p.address, 0);
    for (const w of ws) for (const s of w.slots || []) {
      const got = (s.fee_paid || 0) + (s.reward || 0);
      if (s.prover && (got || pay.has(s.prover))) pay.set(s.prover, (pay.get(s.prover) || 0) + got);
    }
    const bars = [...pay].sort((a, b) => b[1] - a[1]).slice(0, 50)
      .map(([a, v]) => ({ label: a.slice(-4), value: v, title: a + ': ' + prv(v) }));
    return barChart('chart-rewards', 'Rewards per prover (PRV)', 'fees and rewards paid in the latest ' + ws.length + ' workloads; active provers, most paid first', bars, axisPRV);
  }
  function priceChart(ws) {
    const pts = ws.filter((w) => !w.challenge && w.fee > 0 && w.k > 0)
      .map((w) => ({ x: w.height, y: w.fee / w.k / mcycles(w.cycles), id: w.id }))
      .sort((a, b) => a.x - b.x);
    for (const p of pts) p.title = 'height ' + p.x + ': ' + prv(Math.round(p.y)) + ' per Mcycle per slot (' + short(p.id) + ')';
    return lineChart('chart-price', 'Price over time (PRV)', 'fee per Mcycle per slot of the latest ' + ws.length + ' workloads, by inclusion height', pts, String, axisPRV);
  }

  // ---- the live feed ----

  const FEED_TYPES = ['run', 'workload', 'slot', 'settle', 'vote', 'excused', 'challenge', 'slash', 'deploy',
    'prover_registered', 'stake', 'unbond', 'withdraw', 'reinstate', 'transfer', 'message'];
  const feed = []; // newest first
  let feedBody = null; // the overview's tbody, while shown
  let liveHeight = 0;

  function feedRow(ev) {
    const a = ev.attrs || {};
    const id = a.workload || (ev.type === 'workload' ? a.id : '');
    const rest = Object.entries(a).filter(([k]) => !(k === 'workload' || (k === 'id' && id)))
      .map(([k, v]) => k + '=' + (String(v).length > 24 ? short(v) : v)).join(' ');
    return el('tr', {}, el('td', {}, blockLink(ev.height)), el('td', {}, ev.type), el('td', {}, id ? wlLink(id) : ''), el('td', { class: 'attrs' }, rest));
  }
  function onEvent(e) {
    let ev;
    try {
      ev = JSON.parse(e.data);
    } catch (_) {
      return;
    }
    if (typeof ev !== 'object' || ev === null) return;
    if (ev.type === 'beacon' || ev.type === 'tx') {
      liveHeight = Math.max(liveHeight, Number(ev.height) || 0);
      const h = document.getElementById('height');
      if (h) h.textContent = num(liveHeight);
      return;
    }
    feed.unshift(ev);
    if (feed.length > FEED_MAX) feed.length = FEED_MAX;
    if (feedBody && feedBody.isConnected) {
      feedBody.prepend(feedRow(ev));
      while (feedBody.rows.length > FEED_MAX) feedBody.lastChild.remove();
    }
  }
  function startFeed() {
    const live = document.getElementById('live');
    if (!window.EventSource) {
      live.textContent = 'no live feed';
      return;
    }
    const es = new EventSource('/v1/events');
    for (const t of FEED_TYPES.concat(['beacon', 'tx'])) es.addEventListener(t, onEvent);
    es.onopen = () => {
      live.textContent = 'live';
      live.className = 'live on';
    };
    es.onerror = () => {
      live.textContent = 'reconnecting';
      live.className = 'live off';
    };
  }
  function feedTable() {
    feedBody = el('tbody', {}, feed.map(feedRow));
    return el('table', { class: 'grid feed', id: 'feed' },
      el('thead', {}, el('tr', {}, el('th', {}, 'height'), el('th', {}, 'event'), el('th', {}, 'workload'), el('th', {}, 'details'))), feedBody);
  }

  // ---- pages ----

  async function overview() {
    const [st, supply, wpage, pr] = await Promise.all([
      api('/v1/status'), api('/v1/supply').catch(() => null),
      api('/v1/workloads?limit=' + LATEST), proversCached(),
    ]);
    const bs = await latestBlocks(st.height, BLOCKS);
    const ws = wpage.workloads || [];
    const provers = pr.records;
    const active = provers.filter((p) => p.state === 'active').length;
    const byState = {};
    for (const w of ws) byState[w.state] = (byState[w.state] || 0) + 1;
    const avg = avgBlockTime(bs);
    // Proofs per minute: valid slots decided since the oldest workload of the page.
    const from = ws.length ? Math.min(...ws.map((w) => w.height)) : st.height;
    let proofs = 0;
    for (const w of ws) for (const s of w.slots || []) if (s.state === 'valid' && s.decided_height >= from) proofs++;
    const minutes = avg ? ((st.height - from) * avg) / 60 : 0;
    const sum = (f) => ws.reduce((a, w) => a + f(w), 0);
    const slotSum = (f) => sum((w) => (w.slots || []).reduce((a, s) => a + (s[f] || 0), 0));
    const circulating = supply ? supply.genesis + supply.minted - supply.burned : null;
    return el('div', {},
      el('h1', {}, 'Overview ', el('span', { class: 'muted' }, st.chain_id + ' · ' + st.moniker)),
      el('div', { class: 'cards' },
        card('Height', el('span', { id: 'height' }, num(st.height)), (st.catching_up ? 'catching up · ' : '') + 'latest block ' + ago(st.block_time)),
        card('Block time', secs(avg), 'average of the latest ' + bs.length + ' blocks; the latest at ' + clock(st.block_time)),
        card('Active provers', num(active), 'of ' + num(provers.length) + ' registered' + (pr.more ? '+' : '')),
        card('Proofs per minute', minutes > 0 ? (proofs / minutes).toFixed(2) : '–', proofs + ' final proofs among the latest ' + ws.length + ' workloads'),
        card('Supply', circulating == null ? '–' : prv(circulating),
          supply ? 'genesis ' + prv(supply.genesis) + ' · minted ' + prv(supply.minted) + ' · burned ' + prv(supply.burned) : 'not available on this node', 'wide')),
      section('Workloads, of the latest ' + ws.length,
        el('div', { class: 'states', id: 'states' }, Object.keys(byState).length ? Object.entries(byState).sort()
          .map(([s, n]) => el('span', { class: 'state' }, pill(s), ' ', num(n))) : note('No workloads yet.')),
        kv([['Fees escrowed', prv(sum((w) => w.fee))], ['Paid to provers', prv(slotSum('fee_paid'))], ['Paid to voters', prv(sum((w) => w.voters_paid))],
          ['Rewards minted', prv(sum((w) => w.minted))], ['Burned', prv(sum((w) => w.burned))], ['Refunded', prv(sum((w) => w.refunded))]])),
      el('div', { class: 'charts' }, latencyChart(ws), rewardChart(ws, provers), priceChart(ws)),
      section('Live events', note('Newest first, the latest ' + FEED_MAX + ' since this page was opened (beacons and fee receipts left out).'), feedTable()));
  }
  overview.refresh = true;

  const proverSort = { key: 'proofs_final', desc: true };
  const PROVER_COLS = [
    ['address', 'address', (p) => prvLink(p.address), (p) => p.address],
    ['state', 'state', (p) => pill(p.state), (p) => p.state],
    ['stake', 'stake', (p) => prv(p.stake), (p) => p.stake],
    ['hardware', 'hardware', (p) => hardware(p.hardware), (p) => (p.hardware ? p.hardware.cpu_cores * 1e7 + p.hardware.memory_mb : 0)],
    ['proofs_final', 'final proofs', (p) => num(p.proofs_final), (p) => p.proofs_final],
    ['slashed', 'slashed', (p) => prv(p.slashed), (p) => p.slashed],
    ['misses', 'misses', (p) => num(p.misses), (p) => p.misses],
  ];
  function proverTable(ps) {
    const col = PROVER_COLS.find((c) => c[0] === proverSort.key) || PROVER_COLS[0];
    const sorted = ps.slice().sort((a, b) => {
      const x = col[3](a), y = col[3](b);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return proverSort.desc ? -c : c;
    });
    const t = el('table', { class: 'grid sortable', id: 'provers' },
      el('thead', {}, el('tr', {}, PROVER_COLS.map(([key, title]) => el('th', {
        'data-key': key, class: key === proverSort.key ? (proverSort.desc ? 'desc' : 'asc') : null, title: 'sort by ' + title,
        onclick: () => {
          proverSort.desc = proverSort.key === key ? !proverSort.desc : key !== 'address' && key !== 'state';
          proverSort.key = key;
          t.replaceWith(proverTable(ps));
        },
      }, title)))),
      el('tbody', {}, sorted.map((p) => el('tr', {}, PROVER_COLS.map((c) => el('td', {}, c[2](p)))))));
    return t;
  }
  async function proversPage() {
    const { records, more } = await all('/v1/provers', 'provers', 10);
    const by = {};
    for (const p of records) by[p.state] = (by[p.state] || 0) + 1;
    return el('div', {}, el('h1', {}, 'Provers'),
      el('p', {}, num(records.length) + (more ? '+' : '') + ' registered: ', Object.entries(by).map(([s, n]) => el('span', { class: 'state' }, pill(s), ' ', num(n), ' '))),
      records.length ? proverTable(records) : note('No provers registered yet.'));
  }

  async function proverPage(addr) {
    const p = await api('/v1/provers/' + enc(addr));
    const out = el('div', {}, el('h1', {}, 'Prover ', el('span', { class: 'mono' }, p.address)),
      kv([['state', pill(p.state)], ['reason', p.reason], ['stake', prv(p.stake)], ['hardware', hardware(p.hardware)],
        ['max concurrent', num(p.max_concurrent)], ['blob endpoint', p.blob_endpoint], ['VRF public key', el('span', { class: 'mono' }, p.vrf_public_key)],
        ['registered at', blockLink(p.registered_height)], p.unbond_height ? ['unbonds at', blockLink(p.unbond_height)] : null,
        p.suspended_until ? ['suspended until', blockLink(p.suspended_until)] : null,
        ['final proofs', num(p.proofs_final)], ['votes paid', num(p.votes_paid)], ['wrong votes', num(p.wrong_votes)],
        ['misses (epoch)', num(p.misses)], ['absences', num(p.absences)], ['suspensions', num(p.suspensions)], ['slashed', prv(p.slashed)],
        ['JSON', apiLink('/v1/provers/' + enc(p.address))]]));
    out.append(await proverHistory(p.address));
    return out;
  }
  const HISTORY_COLS = [['height', (e) => blockLink(e.height)], ['kind', (e) => e.kind], ['workload', (e) => wlLink(e.workload)],
    ['slot', (e) => (e.slot >= 0 && e.workload ? String(e.slot) : '')], ['amount', (e) => (e.amount_uprv ? prv(e.amount_uprv) : '')], ['detail', (e) => e.detail || '']];
  async function proverHistory(addr) {
    const box = el('section', { id: 'history' }, el('h2', {}, 'History'));
    const page = async (cursor) => {
      const h = await api('/v1/provers/' + enc(addr) + '/history?limit=50' + (cursor ? '&cursor=' + enc(cursor) : ''));
      return { rows: h.entries || [], next: h.next };
    };
    try {
      await paged(box, HISTORY_COLS, page, {}, 'No history yet.');
    } catch (e) {
      if (e.status !== 404) throw e;
      box.append(note('The prover history is not available on this node; its slots in the latest ' + LATEST + ' workloads instead:'));
      const ws = (await api('/v1/workloads?limit=' + LATEST)).workloads || [];
      const rows = [];
      for (const w of ws) for (const s of w.slots || []) if (s.prover === addr || s.allocated_to === addr) rows.push({ w, s });
      box.append(rows.length ? table([['workload', (r) => wlLink(r.w.id)], ['slot', (r) => String(r.s.index)], ['height', (r) => blockLink(r.w.height)],
        ['slot state', (r) => pill(r.s.state)], ['released', (r) => (r.s.prover === addr ? '' : r.s.released || '')], ['tier', (r) => (r.s.tier ? String(r.s.tier) : '')],
        ['paid', (r) => prv((r.s.fee_paid || 0) + (r.s.reward || 0))]], rows) : note('None.'));
    }
    return box;
  }

  async function workloadsPage(q) {
    const owner = q.get('owner') || '';
    const names = await programNames();
    const box = el('div', {}, el('h1', {}, 'Workloads'), owner ? el('p', {}, 'of owner ', el('span', { class: 'mono' }, owner), ' · ', link('workloads', 'all')) : null);
    const cols = [['id', (w) => wlLink(w.id)], ['program', (w) => programLabel(names, w.program)], ['state', (w) => pill(w.state)],
      ['k', (w) => String(w.k)], ['cycles', (w) => num(w.cycles)], ['fee', (w) => prv(w.fee)], ['height', (w) => blockLink(w.height)],
      ['final', (w) => blockLink(w.final_height)], ['kind', (w) => (w.challenge ? (w.admission ? 'admission' : 'challenge') : 'run')]];
    const page = async (cursor) => {
      const p = await api('/v1/workloads?limit=50' + (owner ? '&owner=' + enc(owner) : '') + (cursor ? '&cursor=' + enc(cursor) : ''));
      return { rows: p.workloads || [], next: p.next };
    };
    await paged(box, cols, page, { id: 'workloads' }, 'No workloads yet.');
    return box;
  }

  // timelineFromRecord builds a workload's timeline from its own heights,
  // for a node without /timeline.
  function timelineFromRecord(w) {
    const out = [];
    const add = (height, kind, slot, prover, detail) => height && out.push({ height, kind, slot, prover: prover || '', tx: '', detail: detail || '' });
    add(w.height, 'run', -1, '', w.k + ' slot(s), ' + num(w.cycles) + ' cycles');
    add(w.allocated_height, 'allocated', -1, '', '');
    for (const s of w.slots || []) {
      add(s.submit_height, 'submitted', s.index, s.prover, s.outcome || '');
      add(s.decided_height, 'decided', s.index, s.prover, s.state);
    }
    add(w.reveal_from, 'revealed', -1, '', 'reveals due from here');
    if (w.final_height) add(w.final_height, TERMINAL.includes(w.state) ? w.state : 'final', -1, '', w.reason || '');
    add(w.settled_height, 'settled', -1, '', '');
    return out.sort((a, b) => a.height - b.height);
  }
  function timelineChart(entries) {
    const hs = entries.map((e) => e.height);
    const lo = Math.min(...hs), hi = Math.max(...hs, lo + 1);
    const w = 960, h = 90;
    const X = (x) => 20 + ((x - lo) / (hi - lo)) * (w - 40);
    const s = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': 'timeline' });
    s.append(svg('path', { class: 'axis', d: `M20,50H${w - 20}` }));
    const seen = new Map();
    for (const e of entries) {
      const n = seen.get(e.height) || 0;
      seen.set(e.height, n + 1);
      s.append(svg('circle', { class: 'dot k-' + String(e.kind).replace(/[^a-z_]/g, ''), cx: X(e.height), cy: 50, r: 5 },
        svg('title', {}, 'height ' + e.height + ': ' + e.kind + (e.slot >= 0 ? ' (slot ' + e.slot + ')' : ''))));
      if (n < 3) s.append(svg('text', { x: X(e.height), y: 36 - n * 12, 'text-anchor': 'middle' }, e.kind));
    }
    for (const x of [lo, hi]) s.append(svg('text', { x: X(x), y: 72, 'text-anchor': 'middle' }, String(x)));
    return el('figure', { class: 'chart wide', id: 'timeline-chart' }, s);
  }
  async function workloadTimeline(w) {
    let entries, source;
    try {
      entries = (await api('/v1/workloads/' + enc(w.id) + '/timeline')).entries || [];
      source = 'from this node\u2019s timeline';
    } catch (e) {
      if (e.status !== 404) throw e;
      entries = timelineFromRecord(w);
      source = 'The timeline endpoint is not available on this node: built from the workload\u2019s own heights.';
    }
    return section('Timeline', note(source), entries.length ? timelineChart(entries) : null,
      table([['height', (e) => blockLink(e.height)], ['kind', (e) => e.kind], ['slot', (e) => (e.slot >= 0 ? String(e.slot) : 'all')],
        ['prover', (e) => (e.prover ? prvLink(e.prover) : '')], ['tx', (e) => (e.tx ? el('span', { class: 'mono', title: e.tx }, short(e.tx)) : '')],
        ['detail', (e) => e.detail || '']], entries, { id: 'timeline' }));
  }
  async function workloadPage(id) {
    const [w, names] = await Promise.all([api('/v1/workloads/' + enc(id)), programNames()]);
    const base = '/v1/workloads/' + enc(w.id);
    const slotCols = [['#', (s) => String(s.index)], ['state', (s) => pill(s.state)], ['prover', (s) => prvLink(s.prover)],
      ['allocated to', (s) => (s.allocated_to && s.allocated_to !== s.prover ? prvLink(s.allocated_to) : '')],
      ['released', (s) => s.released || ''], ['outcome', (s) => s.outcome || ''], ['cycles used', (s) => num(s.cycles_used)],
      ['submitted', (s) => blockLink(s.submit_height)], ['votes ✓/✗/copied', (s) => s.valid_votes + '/' + s.invalid_votes + '/' + s.copied_votes + ' of ' + s.committee_size],
      ['decided', (s) => blockLink(s.decided_height)], ['tier', (s) => (s.tier ? String(s.tier) : '')], ['paid', (s) => prv((s.fee_paid || 0) + (s.reward || 0))],
      ['burned', (s) => (s.burned ? prv(s.burned) : '')], ['sealed', (s) => (s.sealed_sha256 ? apiLink(base + '/slots/' + s.index + '/sealed', 'age file') : '')]];
    const out = el('div', {}, el('h1', {}, 'Workload ', el('span', { class: 'mono' }, w.id)),
      kv([['state', el('span', { id: 'wl-state' }, pill(w.state))], ['reason', w.reason], ['kind', w.challenge ? (w.admission ? 'admission challenge' : 'challenge') : 'run'],
        ['program', link('programs', names.get(w.program) || w.program, w.program)], ['owner', w.owner ? link('workloads?owner=' + enc(w.owner), w.owner) : ''],
        ['provers (k)', String(w.k)], ['cycles per prover', num(w.cycles)], ['included at', blockLink(w.height)], ['deadline', blockLink(w.deadline)],
        ['allocated at', blockLink(w.allocated_height)], ['reveals from', blockLink(w.reveal_from)], ['final at', blockLink(w.final_height)],
        ['settled', w.settled ? el('span', {}, 'yes, at ', blockLink(w.settled_height)) : 'no'], ['fee', prv(w.fee)], ['escrow', prv(w.escrow)],
        ['minted', prv(w.minted)], ['burned', prv(w.burned)], ['refunded', prv(w.refunded)], ['voters paid', prv(w.voters_paid)],
        ['JSON', el('span', {}, apiLink(base), ' · ', apiLink(base + '/allocation', 'allocation'))]]),
      section('Inputs', table([['name', (i) => i.name], ['sha256', (i) => el('span', { class: 'mono', title: i.sha256 }, short(i.sha256))], ['size', (i) => num(i.size) + ' B'],
        ['carried', (i) => (i.inline ? 'inline' : 'blob')]], w.inputs || [])),
      section('Slots', (w.slots || []).length ? table(slotCols, w.slots, { id: 'slots' }) : note('Not allocated yet.')),
      await workloadTimeline(w));
    return { node: out, done: w.settled };
  }
  workloadPage.refresh = true;

  async function programsPage() {
    const { records, more } = await all('/v1/programs', 'programs', 5);
    const mod = (m) => (m ? num(m.size) + ' B' : '–');
    return el('div', {}, el('h1', {}, 'Programs'), more ? note('The first ' + records.length + ' programs.') : null,
      records.length ? table([['name', (p) => p.name], ['id', (p) => el('span', { class: 'mono', title: p.id }, short(p.id))], ['owner', (p) => el('span', { title: p.owner }, shortAddr(p.owner))],
        ['deployed at', (p) => blockLink(p.height)], ['prover module', (p) => mod(p.prover)], ['verifier module', (p) => mod(p.verifier)],
        ['verify cycles', (p) => (p.verify_cycles ? num(p.verify_cycles) : 'each Run\u2019s')], ['min hardware', (p) => hardware(p.min_hardware)]], records, { id: 'programs' })
        : note('No programs deployed yet.'));
  }

  async function blocksPage() {
    const st = await api('/v1/status');
    const bs = await latestBlocks(st.height, BLOCKS);
    return el('div', {}, el('h1', {}, 'Blocks'), note('The latest ' + bs.length + '; average block time ' + secs(avgBlockTime(bs)) + '.'),
      table([['height', (b) => blockLink(b.height)], ['time', (b) => clock(b.time)], ['txs (with the beacon)', (b) => String(b.num_txs)],
        ['proposer', (b) => el('span', { class: 'mono', title: b.proposer }, short(b.proposer))], ['hash', (b) => el('span', { class: 'mono', title: b.hash }, short(b.hash))]], bs, { id: 'blocks' }));
  }
  blocksPage.refresh = true;

  async function blockPage(h) {
    const [b, beacon] = await Promise.all([api('/v1/blocks/' + enc(h)), api('/v1/beacon/' + enc(h)).catch(() => null)]);
    return el('div', {}, el('h1', {}, 'Block ' + b.height),
      el('p', {}, b.height > 1 ? link('block/' + (b.height - 1), '← ' + (b.height - 1)) : null, ' ', link('block/' + (b.height + 1), (b.height + 1) + ' →')),
      kv([['time', b.time + ' (' + ago(b.time) + ')'], ['hash', el('span', { class: 'mono' }, b.hash)], ['proposer', el('span', { class: 'mono' }, b.proposer)],
        ['app hash', el('span', { class: 'mono' }, b.app_hash)], ['transactions', String(b.num_txs) + ' (including the beacon entry)'],
        ['beacon seed', beacon ? el('span', { class: 'mono' }, beacon.seed) : '–'], ['JSON', apiLink('/v1/blocks/' + enc(b.height))]]),
      section('Transactions', (b.tx_hashes || []).length ? table([['hash', (t) => el('span', { class: 'mono' }, t)], ['', (t) => apiLink('/v1/txs/' + enc(t), 'receipt')]], b.tx_hashes)
        : note('None.')));
  }

  // ---- routing ----

  const ROUTES = [
    [/^$/, overview], [/^provers$/, proversPage], [/^prover\/([^/]+)$/, proverPage], [/^workloads$/, workloadsPage],
    [/^workload\/([^/]+)$/, workloadPage], [/^programs$/, programsPage], [/^blocks$/, blocksPage], [/^block\/(\d+)$/, blockPage],
  ];
  let generation = 0;
  let timer = null;

  function errorBox(e) {
    const notAvail = e && e.status === 404;
    return el('div', { class: 'error' }, el('strong', {}, notAvail ? 'Not found: ' : 'Error: '), String((e && e.message) || e), e && e.hint ? el('div', { class: 'sub' }, e.hint) : null);
  }
  async function render(quiet) {
    const gen = ++generation;
    clearTimeout(timer);
    let raw = location.hash.replace(/^#\/?/, '');
    try {
      raw = decodeURIComponent(raw);
    } catch (_) {
      // not percent-encoded text: taken as it is
    }
    const [path, query] = raw.split('?');
    const q = new URLSearchParams(query || '');
    let page = null, args = [];
    for (const [re, f] of ROUTES) {
      const m = path.match(re);
      if (m) {
        page = f;
        args = m.slice(1);
        break;
      }
    }
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('here', a.getAttribute('href') === '#/' + path.split('/')[0]);
    if (!page) {
      main.replaceChildren(el('h1', {}, 'No such page'), el('p', {}, 'The explorer has no page for ', el('span', { class: 'mono' }, path), '. ', link('', 'Overview')));
      return;
    }
    if (!quiet) main.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    let node, done = false;
    try {
      const r = await page(...(args.length ? args : [q]));
      if (r instanceof Node) node = r;
      else ({ node, done } = r);
    } catch (e) {
      node = errorBox(e);
    }
    if (gen !== generation) return; // the user moved on
    const y = window.scrollY;
    if (page !== overview) feedBody = null;
    main.replaceChildren(node);
    if (quiet) window.scrollTo(0, y);
    if (page.refresh && !done) timer = setTimeout(() => (document.hidden ? schedule() : render(true)), REFRESH_MS);
    function schedule() {
      timer = setTimeout(() => (document.hidden ? schedule() : render(true)), REFRESH_MS);
    }
  }

  function search(ev) {
    ev.preventDefault();
    const input = document.getElementById('search-q');
    const v = input.value.trim();
    if (/^\d+$/.test(v)) location.hash = '#/block/' + v;
    else if (/^[0-9a-fA-F]{64}$/.test(v)) location.hash = '#/workload/' + v.toLowerCase();
    else if (/^prv1[0-9a-z]+$/.test(v)) location.hash = '#/prover/' + v;
    else {
      input.setCustomValidity('a workload id (64 hex digits), a prv1… address or a block height');
      input.reportValidity();
      return;
    }
    input.value = '';
  }

  document.getElementById('search').addEventListener('submit', search);
  document.getElementById('search-q').addEventListener('input', (e) => e.target.setCustomValidity(''));
  window.addEventListener('hashchange', () => render(false));
  startFeed();
  render(false);
})();
