// The yooni-cache dashboard. Reads the monitoring API every 2 s with the
// bearer token the operator typed in (kept in sessionStorage for this tab),
// and draws the cluster and the cache's counters.
//
// Everything that comes from the network (node names, addresses, flags,
// error details) is put on the page with textContent or drawn on a canvas:
// never parsed as HTML. The page's Content-Security-Policy allows this file
// and the style sheet only; styles are set through CSSOM, not attributes.
'use strict';

(() => {
  const TOKEN_KEY = 'yooni-cache.dashboard.token';
  const POLL_MS = 2000;
  const WINDOW_MS = 5 * 60 * 1000;
  const SLOT_COUNT = 16384;
  const MAX_EVENTS = 100;
  const STATS_URL = '/api/v1/monitoring/cache/stats';
  const CLUSTER_URL = '/api/v1/monitoring/cache/cluster/info';
  // Masters are coloured by the order of their first slot, so a promoted
  // replica keeps its old master's colour.
  const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948',
    '#9c755f', '#ff9da7', '#86bcb6', '#8cd17d', '#a0cbe8', '#d4a6c8'];
  const UNASSIGNED = '#3a3f45';
  const PFAIL = '#ff9800';
  const FAIL = '#e53935';
  const MIGRATING = '#ffd400';

  const $ = (id) => document.getElementById(id);

  class AuthError extends Error {
    constructor(status) {
      super(status === 403 ? 'forbidden' : 'unauthorized');
      this.status = status;
    }
  }

  const state = {
    token: null,
    timer: null,
    inFlight: false,
    generation: 0,           // bumped when the token changes: late answers are dropped
    lastSample: null,        // previous stats sample, for rates
    series: { hitRate: [], ops: [], errors: [], saved: [] },
    nodes: null,             // Map id -> summary of the previous poll, for events
    clusterState: null,
    validators: new Map(),   // url -> { etag, body } of its last 200, sent back as If-None-Match
  };

  // ---- small helpers ------------------------------------------------------

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function setText(id, text, cls) {
    const e = $(id);
    e.textContent = text;
    if (cls !== undefined) {
      e.classList.remove('ok', 'fail', 'warn');
      if (cls) e.classList.add(cls);
    }
  }

  function num(v) {
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }

  function formatCount(v) {
    v = num(v);
    return v === null ? '–' : Math.round(v).toLocaleString('en-US');
  }

  function formatBytes(v) {
    v = num(v);
    if (v === null) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
    return (i === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[i];
  }

  function formatRate(v) {
    v = num(v);
    if (v === null) return '–';
    if (v >= 100) return Math.round(v).toLocaleString('en-US');
    return v.toFixed(v >= 10 ? 1 : 2);
  }

  function clock(t) {
    return new Date(t).toLocaleTimeString('en-GB', { hour12: false });
  }

  function shortId(id) {
    return typeof id === 'string' ? id.slice(0, 8) : '?';
  }

  // ---- token --------------------------------------------------------------

  function showLogin(message) {
    stopPolling();
    $('board').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    const msg = $('login-message');
    msg.textContent = message || '';
    msg.hidden = !message;
    setText('cluster-state', 'not connected', '');
    $('cluster-state').className = 'badge';
    $('updated').textContent = '';
    $('token-input').value = '';
    $('token-input').focus();
  }

  function forgetToken(message) {
    state.token = null;
    state.generation += 1;
    state.validators.clear();
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled */ }
    showLogin(message);
  }

  function acceptToken(token) {
    state.token = token;
    state.generation += 1;
    state.validators.clear();
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* storage disabled: this page only */ }
    resetHistory();
    $('login').hidden = true;
    $('board').hidden = false;
    $('sign-out').hidden = false;
    startPolling();
  }

  function onSubmit(event) {
    event.preventDefault();
    const token = $('token-input').value.trim();
    if (!token) {
      showLogin('Enter a token.');
      return;
    }
    // A header value must be visible ASCII; anything else is not a token of ours.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      showLogin('A token is printable ASCII without spaces; this one is not.');
      return;
    }
    acceptToken(token);
  }

  // ---- polling ------------------------------------------------------------

  // Each poll sends back the entity tag of the last answer: while nothing
  // changed the service answers 304 without a body, and the last body is
  // used again. (The browser's own cache stays out of it: no-store.)
  async function api(url) {
    const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json' };
    const known = state.validators.get(url);
    if (known) headers['If-None-Match'] = known.etag;
    const response = await fetch(url, {
      headers,
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
    if (response.status === 401 || response.status === 403) throw new AuthError(response.status);
    if (response.status === 304 && known) return { body: known.body, unchanged: true };
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const detail = body && typeof body.detail === 'string' ? body.detail : 'HTTP ' + response.status;
      return { error: detail, status: response.status };
    }
    const etag = response.headers.get('ETag');
    if (etag && body !== null) state.validators.set(url, { etag, body });
    else state.validators.delete(url);
    return { body };
  }

  function startPolling() {
    stopPolling();
    poll();
    state.timer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (state.timer !== null) clearInterval(state.timer);
    state.timer = null;
  }

  async function poll() {
    if (state.inFlight || !state.token) return;
    state.inFlight = true;
    const generation = state.generation;
    try {
      const [stats, cluster] = await Promise.all([api(STATS_URL), api(CLUSTER_URL)]);
      if (generation !== state.generation) return;
      const problems = [];
      const now = Date.now();
      if (stats.error) problems.push('statistics: ' + stats.error);
      else renderStats(stats.body, now);
      if (cluster.error) problems.push('cluster: ' + cluster.error);
      else renderCluster(cluster.body, now);
      showProblem(problems.join(' · '));
      $('updated').textContent = 'updated ' + clock(now) + ', every ' + POLL_MS / 1000 + ' s';
    } catch (e) {
      if (generation !== state.generation) return;
      if (e instanceof AuthError) {
        forgetToken(e.status === 403
          ? 'This token lacks the role the dashboard needs (read). Enter another token.'
          : 'Token rejected (expired or wrong). Enter a token again.');
        return;
      }
      showProblem('The service does not answer (' + (e && e.message ? e.message : 'network error') +
        '); retrying every ' + POLL_MS / 1000 + ' s.');
      setText('cluster-state', 'unreachable');
      $('cluster-state').className = 'badge fail';
    } finally {
      state.inFlight = false;
    }
  }

  function showProblem(text) {
    const p = $('problem');
    p.textContent = text;
    p.hidden = !text;
  }

  // ---- cache statistics ---------------------------------------------------

  function resetHistory() {
    state.lastSample = null;
    state.series = { hitRate: [], ops: [], errors: [], saved: [] };
    state.nodes = null;
    state.clusterState = null;
    $('events').replaceChildren();
  }

  function pushPoint(list, t, v) {
    list.push({ t, v });
    while (list.length && list[0].t < t - WINDOW_MS) list.shift();
  }

  function renderStats(s, now) {
    if (!s || typeof s !== 'object') return;
    const hits = num(s.hits) || 0;
    const misses = num(s.misses) || 0;
    const sets = num(s.sets) || 0;
    const deletes = num(s.deletes) || 0;
    const errors = num(s.errors) || 0;
    const c = s.compression && typeof s.compression === 'object' ? s.compression : {};
    const original = num(c.total_original_size) || 0;
    const stored = num(c.total_compressed_size) || 0;
    const saved = num(c.space_saved_bytes) !== null ? c.space_saved_bytes : Math.max(0, original - stored);
    const sample = { t: now, hits, misses, sets, deletes, errors };

    const prev = state.lastSample;
    state.lastSample = sample;
    let ops = null;
    let errorRate = null;
    if (prev) {
      const dt = (now - prev.t) / 1000;
      const dh = hits - prev.hits;
      const dm = misses - prev.misses;
      const ds = sets - prev.sets;
      const dd = deletes - prev.deletes;
      const de = errors - prev.errors;
      // Counters going back mean a reset (POST .../stats/reset): no rate this time.
      if (dt > 0 && dh >= 0 && dm >= 0 && ds >= 0 && dd >= 0 && de >= 0) {
        ops = (dh + dm + ds + dd) / dt;
        errorRate = de / dt;
        pushPoint(state.series.hitRate, now, dh + dm > 0 ? (100 * dh) / (dh + dm) : null);
        pushPoint(state.series.ops, now, ops);
        pushPoint(state.series.errors, now, errorRate);
      }
    }
    pushPoint(state.series.saved, now, saved);

    const total = hits + misses;
    const hitRate = typeof s.hit_rate === 'string' ? s.hit_rate
      : (total ? ((100 * hits) / total).toFixed(2) + '%' : '0.00%');
    setText('card-hit-rate', hitRate);
    setText('card-hit-rate-sub', formatCount(hits) + ' hits, ' + formatCount(misses) + ' misses');
    setText('card-ops', ops === null ? '…' : formatRate(ops));
    setText('card-ops-sub', formatCount(total + sets + deletes) + ' operations in all');
    setText('card-errors', formatCount(errors), errors > 0 ? 'fail' : '');
    setText('card-errors-sub', errorRate === null ? '' : formatRate(errorRate) + ' per second now');
    setText('card-saved', formatBytes(saved));
    setText('card-saved-sub', typeof c.space_saved_percentage === 'string'
      ? c.space_saved_percentage + ' of ' + formatCount(c.compressed_count) + ' compressed values'
      : formatCount(c.compressed_count) + ' compressed values');

    renderNearCache(s.near_cache);

    drawChart($('chart-hit-rate'), state.series.hitRate, { max: 100, format: (v) => v.toFixed(0) + '%' });
    drawChart($('chart-ops'), state.series.ops, { format: formatRate });
    drawChart($('chart-errors'), state.series.errors, { format: formatRate, colour: '#c62828' });
    drawChart($('chart-saved'), state.series.saved, { format: formatBytes, colour: '#59a14f' });
  }

  // The near cache (NEAR_CACHE_MAX_BYTES): its share of reads, what it holds
  // against its bound, and the stale copies it answered (stale-if-error).
  function renderNearCache(n) {
    const card = $('card-near');
    if (!card) return;
    card.hidden = !n || typeof n !== 'object';
    if (card.hidden) return;
    const hits = num(n.hits) || 0;
    const misses = num(n.misses) || 0;
    const stale = num(n.stale_answers) || 0;
    setText('card-near-rate', hits + misses ? ((100 * hits) / (hits + misses)).toFixed(2) + '%' : '0.00%');
    setText('card-near-sub', formatBytes(num(n.bytes) || 0) + ' of ' + formatBytes(num(n.max_bytes) || 0)
      + ', ' + formatCount(num(n.invalidations) || 0) + ' invalidations'
      + (stale ? ', ' + formatCount(stale) + ' stale answers' : ''), stale ? 'warn' : '');
  }

  // A line chart of {t, v} points over the last WINDOW_MS; null values break the line.
  function drawChart(canvas, points, { max, format, colour = '#1f4e79' }) {
    const ctx = fitCanvas(canvas);
    if (!ctx) return;
    const w = canvas.width;
    const h = canvas.height;
    const dpr = window.devicePixelRatio || 1;
    ctx.clearRect(0, 0, w, h);
    const now = Date.now();
    const t0 = now - WINDOW_MS;
    const values = points.filter((p) => p.v !== null).map((p) => p.v);
    let top = max !== undefined ? max : Math.max(1e-9, ...values, 0);
    if (max === undefined) top *= 1.15;
    const pad = 4 * dpr;
    const x = (t) => ((t - t0) / WINDOW_MS) * w;
    const y = (v) => h - pad - (v / top) * (h - 2 * pad);

    ctx.strokeStyle = '#e3e7ec';
    ctx.lineWidth = 1;
    for (let i = 1; i < 4; i += 1) {
      ctx.beginPath();
      ctx.moveTo(0, Math.round((h * i) / 4) + 0.5);
      ctx.lineTo(w, Math.round((h * i) / 4) + 0.5);
      ctx.stroke();
    }
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    let drawing = false;
    for (const p of points) {
      if (p.v === null) { drawing = false; continue; }
      if (drawing) ctx.lineTo(x(p.t), y(p.v));
      else ctx.moveTo(x(p.t), y(p.v));
      drawing = true;
    }
    ctx.stroke();
    const lastPoint = [...points].reverse().find((p) => p.v !== null);
    if (lastPoint) {
      ctx.beginPath();
      ctx.arc(x(lastPoint.t), y(lastPoint.v), 3 * dpr, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.fillStyle = '#5d6b7a';
    ctx.font = 11 * dpr + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText('max ' + format(max !== undefined ? max : top / 1.15), 4 * dpr, 3 * dpr);
    ctx.textAlign = 'right';
    ctx.fillText(lastPoint ? 'now ' + format(lastPoint.v) : 'no data yet', w - 4 * dpr, 3 * dpr);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText('−5 min', 4 * dpr, h - 2 * dpr);
  }

  // Sizes the canvas's bitmap to its CSS box (sharp on any pixel ratio).
  function fitCanvas(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    return canvas.getContext('2d');
  }

  // ---- cluster --------------------------------------------------------------

  function flagsOf(node) {
    return Array.isArray(node.flags) ? node.flags.filter((f) => typeof f === 'string') : [];
  }

  // The role by the cluster's own view (CLUSTER NODES flags), else the
  // node's INFO ("slave" there is a replica).
  function roleOf(node) {
    const flags = flagsOf(node);
    if (flags.includes('master')) return 'master';
    if (flags.includes('slave') || flags.includes('replica')) return 'replica';
    if (node.role === 'master') return 'master';
    if (node.role === 'replica' || node.role === 'slave') return 'replica';
    return 'unknown';
  }

  function health(node) {
    const flags = flagsOf(node);
    if (flags.includes('fail')) return 'failed';
    if (flags.includes('fail?')) return 'failing?';
    if (flags.includes('handshake')) return 'handshake';
    if (flags.includes('noaddr')) return 'no address';
    return 'ok';
  }

  // "0-5460" or "42" -> [first, last]; null when malformed.
  function slotRange(token) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(String(token));
    if (!m) return null;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > last || last >= SLOT_COUNT) return null;
    return [first, last];
  }

  // "[5->-id]" and "[5-<-id]" arrive without brackets: "5->-id", "5-<-id".
  function markerSlot(marker) {
    const m = /^(\d+)-[<>]-/.exec(String(marker));
    const slot = m ? Number(m[1]) : -1;
    return slot >= 0 && slot < SLOT_COUNT ? slot : null;
  }

  // Redis behind Sentinel: the master the client resolved, the Sentinels
  // that answered, the failovers it followed (all shown as text).
  function renderSentinel(st, note) {
    const sentinels = Array.isArray(st.sentinels) ? st.sentinels : [];
    const answering = sentinels.filter((x) => x && x.answered === true).length;
    const master = typeof st.master === 'string' ? st.master : null;
    const known = st.connected === true;
    setText('card-state', known ? 'master ok' : 'no master', known ? 'ok' : 'fail');
    setText('card-state-sub', 'Sentinel, ' + (typeof st.master_name === 'string' ? st.master_name : '?') +
      (master ? ' at ' + master : ''));
    setText('card-masters', master ? '1' : '0');
    setText('card-masters-sub', formatCount(answering) + ' of ' + formatCount(sentinels.length) +
      ' Sentinels answering, ' + formatCount(num(st.failovers) || 0) + ' failovers seen');
    setText('card-slots', '–');
    setText('card-slots-sub', Array.isArray(st.replicas) && st.replicas.length ?
      'replicas ' + st.replicas.join(', ') : '');
    setText('cluster-state', known ? 'sentinel ok' : 'sentinel: no master');
    $('cluster-state').className = 'badge ' + (known ? 'ok' : 'fail');
    const err = typeof st.last_error === 'string' && st.last_error ? ' Last error: ' + st.last_error : '';
    note.textContent = 'Redis behind Sentinel: master ' + (master || 'unknown') + ', Sentinels ' +
      sentinels.map((x) => (x && typeof x.address === 'string' ? x.address : '?') +
        (x && x.answered === true ? '' : ' (not answering)')).join(', ') + '.' + err;
  }

  function renderCluster(info, now) {
    if (!info || typeof info !== 'object') return;
    if (info.cluster_enabled !== true) {
      $('cluster-section').hidden = true;
      $('nodes-section').hidden = true;
      const note = $('not-cluster');
      note.hidden = false;
      note.textContent = typeof info.message === 'string' ? info.message : 'Not in cluster mode.';
      setText('card-state', '–', '');
      setText('card-state-sub', 'not in cluster mode (single Redis or memory)');
      setText('card-masters', '–');
      setText('card-masters-sub', '');
      setText('card-slots', '–');
      setText('card-slots-sub', '');
      setText('cluster-state', 'no cluster');
      $('cluster-state').className = 'badge';
      if (info.sentinel && typeof info.sentinel === 'object') renderSentinel(info.sentinel, note);
      return;
    }
    $('cluster-section').hidden = false;
    $('nodes-section').hidden = false;
    $('not-cluster').hidden = true;

    const nodes = Array.isArray(info.nodes) ? info.nodes.filter((n) => n && typeof n === 'object') : [];
    const clusterState = typeof info.cluster_state === 'string' ? info.cluster_state : 'unknown';
    const stateClass = clusterState === 'ok' ? 'ok' : 'fail';
    setText('card-state', clusterState, stateClass);
    setText('card-state-sub', formatCount(info.cluster_known_nodes) + ' nodes known, size ' +
      formatCount(info.cluster_size));
    setText('cluster-state', 'cluster ' + clusterState);
    $('cluster-state').className = 'badge ' + stateClass;

    // What an operator should know before the next failure (masters without
    // a replica, nodes that did not answer), as the service words it.
    const warnings = Array.isArray(info.warnings) ? info.warnings.filter((w) => typeof w === 'string') : [];
    const list = $('cluster-warnings');
    list.replaceChildren(...warnings.map((w) => {
      const li = document.createElement('li');
      li.textContent = w;
      return li;
    }));
    list.hidden = warnings.length === 0;

    // Owners, colours and per-slot state.
    const masters = nodes.filter((n) => roleOf(n) === 'master');
    const firstSlot = (n) => {
      let first = SLOT_COUNT;
      for (const token of Array.isArray(n.slots) ? n.slots : []) {
        const r = slotRange(token);
        if (r) first = Math.min(first, r[0]);
      }
      return first;
    };
    const ordered = masters.map((n) => ({ n, first: firstSlot(n) }))
      .sort((a, b) => a.first - b.first || String(a.n.address).localeCompare(String(b.n.address)));
    const colour = new Map();
    ordered.forEach(({ n }, i) => colour.set(n.id, COLOURS[i % COLOURS.length]));

    const owner = new Array(SLOT_COUNT).fill(null);   // master node per slot
    const migrating = new Set();
    for (const n of masters) {
      for (const token of Array.isArray(n.slots) ? n.slots : []) {
        const r = slotRange(token);
        if (!r) continue;
        for (let s = r[0]; s <= r[1]; s += 1) owner[s] = n;
      }
      for (const list of [n.migrating, n.importing]) {
        for (const marker of Array.isArray(list) ? list : []) {
          const s = markerSlot(marker);
          if (s !== null) migrating.add(s);
        }
      }
    }
    let unassigned = 0;
    let failing = 0;
    let pfailing = 0;
    for (const n of owner) {
      if (!n) unassigned += 1;
      else if (health(n) === 'failed') failing += 1;
      else if (health(n) === 'failing?') pfailing += 1;
    }

    const serving = masters.filter((n) => health(n) !== 'failed' && (num(n.slot_count) || 0) > 0);
    const failedNodes = nodes.filter((n) => health(n) === 'failed').length;
    setText('card-masters', String(serving.length), serving.length >= 3 ? '' : 'warn');
    setText('card-masters-sub', masters.length + ' known' +
      (failedNodes ? ', ' + failedNodes + ' node' + (failedNodes > 1 ? 's' : '') + ' failed' : ''));
    const slotsOk = num(info.cluster_slots_ok);
    setText('card-slots', slotsOk === null ? '–' : String(slotsOk), slotsOk === SLOT_COUNT ? 'ok' : 'fail');
    setText('card-slots-sub', 'assigned ' + formatCount(info.cluster_slots_assigned) + ', pfail ' +
      formatCount(info.cluster_slots_pfail) + ', fail ' + formatCount(info.cluster_slots_fail));
    setText('slot-summary', (SLOT_COUNT - unassigned) + ' of ' + SLOT_COUNT + ' assigned · ' +
      unassigned + ' unassigned · ' + failing + ' on failed masters · ' + pfailing +
      ' on failing masters · ' + migrating.size + ' migrating');

    drawSlots(owner, colour, migrating);
    renderLegend(ordered.map((o) => o.n), colour, { unassigned, failing, pfailing, migrating: migrating.size });
    renderNodes(nodes, ordered.map((o) => o.n), colour);
    noteEvents(nodes, clusterState, now);
  }

  function drawSlots(owner, colour, migrating) {
    const canvas = $('slot-bar');
    const ctx = fitCanvas(canvas);
    if (!ctx) return;
    const w = canvas.width;
    const h = canvas.height;
    const lane = Math.round(h * 0.2);   // top lane: migration markers
    ctx.clearRect(0, 0, w, h);
    const x = (slot) => (slot / SLOT_COUNT) * w;
    const fillOf = (n) => {
      if (!n) return UNASSIGNED;
      const hs = health(n);
      if (hs === 'failed') return FAIL;
      if (hs === 'failing?') return PFAIL;
      return colour.get(n.id) || UNASSIGNED;
    };
    // Runs of slots with one fill, each at least a pixel wide.
    let start = 0;
    for (let s = 1; s <= SLOT_COUNT; s += 1) {
      if (s < SLOT_COUNT && fillOf(owner[s]) === fillOf(owner[start])) continue;
      ctx.fillStyle = fillOf(owner[start]);
      const x0 = Math.floor(x(start));
      ctx.fillRect(x0, lane, Math.max(1, Math.ceil(x(s)) - x0), h - lane);
      start = s;
    }
    // Owner boundaries as thin white lines, so two ranges of one colour still read as two.
    ctx.fillStyle = 'rgba(255,255,255,0.8)';
    for (let s = 1; s < SLOT_COUNT; s += 1) {
      if (owner[s] !== owner[s - 1]) ctx.fillRect(Math.floor(x(s)), lane, 1, h - lane);
    }
    ctx.fillStyle = MIGRATING;
    ctx.strokeStyle = '#1b2430';
    for (const s of migrating) {
      const x0 = Math.floor(x(s)) - 1;
      ctx.fillRect(x0, 0, 3, h);
      ctx.strokeRect(x0 - 0.5, 0.5, 4, lane - 1);
    }
  }

  function renderLegend(masters, colour, counts) {
    const items = [];
    for (const n of masters) {
      const li = el('li');
      const sw = el('span', 'swatch');
      const hs = health(n);
      sw.style.background = hs === 'failed' ? FAIL : hs === 'failing?' ? PFAIL : colour.get(n.id);
      li.append(sw, el('span', null, String(n.address || '?') + ' (' + shortId(n.id) + ')'),
        el('span', 'muted', formatCount(n.slot_count) + ' slots'));
      items.push(li);
    }
    const extra = [['unassigned', 'unassigned', counts.unassigned], ['fail', 'failed master', counts.failing],
      ['pfail', 'failing master', counts.pfailing], ['migrating', 'migrating', counts.migrating]];
    for (const [cls, label, count] of extra) {
      const li = el('li');
      li.append(el('span', 'swatch ' + cls), el('span', null, label), el('span', 'muted', String(count)));
      items.push(li);
    }
    $('slot-legend').replaceChildren(...items);
  }

  function renderNodes(nodes, orderedMasters, colour) {
    const byMaster = new Map();
    for (const n of nodes) {
      if (roleOf(n) === 'master') continue;
      const key = typeof n.master_id === 'string' ? n.master_id : '';
      if (!byMaster.has(key)) byMaster.set(key, []);
      byMaster.get(key).push(n);
    }
    for (const list of byMaster.values()) list.sort((a, b) => String(a.address).localeCompare(String(b.address)));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    // Live masters with slots first, then the others (failed, empty); replicas under their master.
    const masters = [...orderedMasters].sort((a, b) => {
      const rank = (n) => (health(n) === 'failed' ? 2 : (num(n.slot_count) || 0) > 0 ? 0 : 1);
      return rank(a) - rank(b);
    });
    const rows = [];
    const placed = new Set();
    for (const m of masters) {
      rows.push(nodeRow(m, colour, byId));
      placed.add(m);
      for (const r of byMaster.get(m.id) || []) {
        rows.push(nodeRow(r, colour, byId));
        placed.add(r);
      }
    }
    for (const n of nodes) if (!placed.has(n)) rows.push(nodeRow(n, colour, byId));
    $('nodes-body').replaceChildren(...rows);
  }

  function nodeRow(n, colour, byId) {
    const tr = el('tr');
    const hs = health(n);
    const role = roleOf(n);
    tr.classList.add(role === 'master' ? 'master' : 'replica');
    if (hs === 'failed') tr.classList.add('failed');
    if (hs === 'failing?') tr.classList.add('pfail');
    tr.dataset.address = String(n.address || '');
    tr.dataset.id = String(n.id || '');

    const swatchCell = el('td');
    if (role === 'master' && colour.has(n.id) && (num(n.slot_count) || 0) > 0) {
      const sw = el('span', 'swatch');
      sw.style.background = hs === 'failed' ? FAIL : colour.get(n.id);
      swatchCell.append(sw);
    }
    let master = '';
    if (typeof n.master_id === 'string' && n.master_id) {
      const m = byId.get(n.master_id);
      master = m && m.address ? String(m.address) : shortId(n.master_id);
    }
    const cells = [
      swatchCell,
      el('td', 'id', shortId(n.id)),
      el('td', 'role', role),
      el('td', 'address', n.address || '?'),
      el('td', 'master', master || '–'),
      el('td', 'health', hs),
      el('td', 'link', n.link_state || '?'),
      el('td', 'num slots', formatCount(n.slot_count)),
      el('td', 'num keys', formatCount(n.keys)),
      el('td', 'num memory', formatBytes(n.used_memory_bytes)),
      el('td', 'num ops', formatCount(n.ops_per_sec)),
    ];
    tr.append(...cells);
    return tr;
  }

  // ---- events -----------------------------------------------------------------

  function noteEvents(nodes, clusterState, now) {
    const current = new Map();
    for (const n of nodes) {
      if (typeof n.id !== 'string') continue;
      current.set(n.id, { address: String(n.address || '?'), role: roleOf(n), health: health(n),
        master: typeof n.master_id === 'string' ? n.master_id : null });
    }
    const previous = state.nodes;
    state.nodes = current;
    const name = (id, n) => n.address + ' (' + shortId(id) + ')';
    if (!previous) {
      addEvent(now, 'Watching ' + current.size + ' nodes; cluster ' + clusterState + '.', '');
      state.clusterState = clusterState;
      return;
    }
    if (clusterState !== state.clusterState) {
      addEvent(now, 'Cluster state ' + state.clusterState + ' → ' + clusterState + '.',
        clusterState === 'ok' ? 'good' : 'bad');
      state.clusterState = clusterState;
    }
    for (const [id, n] of current) {
      const before = previous.get(id);
      if (!before) {
        addEvent(now, 'Node ' + name(id, n) + ' joined as ' + n.role + '.', '');
        continue;
      }
      if (before.health !== n.health) {
        const says = { ok: 'is back', 'failing?': 'does not answer (fail?)', failed: 'failed (fail: the masters agree)',
          handshake: 'is in handshake', 'no address': 'has no known address' };
        addEvent(now, 'Node ' + name(id, n) + ' ' + (says[n.health] || 'is ' + n.health) + '.',
          n.health === 'ok' ? 'good' : 'bad');
      }
      if (before.role !== n.role) {
        if (n.role === 'master') addEvent(now, 'Failover: ' + name(id, n) + ' was promoted to master.', 'good');
        else addEvent(now, 'Node ' + name(id, n) + ' is now a ' + n.role + '.', '');
      } else if (n.role === 'replica' && before.master !== n.master) {
        const m = current.get(n.master);
        addEvent(now, 'Replica ' + name(id, n) + ' now follows ' +
          (m ? name(n.master, m) : shortId(n.master)) + '.', '');
      }
    }
    for (const [id, n] of previous) {
      if (!current.has(id)) addEvent(now, 'Node ' + name(id, n) + ' left the cluster.', 'bad');
    }
  }

  function addEvent(t, text, cls) {
    const li = el('li', cls || null);
    const time = el('time', null, clock(t));
    time.dateTime = new Date(t).toISOString();
    li.append(time, document.createTextNode(text));
    const list = $('events');
    list.prepend(li);
    while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
  }

  // ---- start --------------------------------------------------------------------

  function start() {
    $('token-form').addEventListener('submit', onSubmit);
    $('sign-out').addEventListener('click', () => forgetToken('Token forgotten. Enter a token to continue.'));
    // Canvases follow the window's width.
    window.addEventListener('resize', () => {
      if (!state.token || !state.lastSample) return;
      const s = state.series;
      drawChart($('chart-hit-rate'), s.hitRate, { max: 100, format: (v) => v.toFixed(0) + '%' });
      drawChart($('chart-ops'), s.ops, { format: formatRate });
      drawChart($('chart-errors'), s.errors, { format: formatRate, colour: '#c62828' });
      drawChart($('chart-saved'), s.saved, { format: formatBytes, colour: '#59a14f' });
    });
    let saved = null;
    try { saved = sessionStorage.getItem(TOKEN_KEY); } catch (e) { saved = null; }
    if (saved) acceptToken(saved);
    else showLogin('');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
