// The dashboard in a real browser, as an operator sees it: Debian's chromium,
// headless, driven by playwright-core, against the real yooni-cache binary on
// a real local Redis Cluster (3 masters, 3 replicas, scripts/redis-cluster).
//
//   node tests/dashboard/dashboard_test.mjs --binary build/debug/yooni-cache --source . --out DIR
//
// Checks: a wrong and an expired token are refused and asked again; with a
// read token the page shows 3 masters and 16384 slots ok; the hit rate moves
// after GETs through the API, and a poll while nothing changed is answered
// 304 (the page sends If-None-Match); a slot left migrating is marked; after SIGKILL of a master the page shows it
// failed and its replica promoted. No Content-Security-Policy violation, no
// script error, no request leaving the service's origin, no token in a URL.
// Screenshots go to DIR (dashboard.png, dashboard-failover.png).
//
// Everything it starts (nodes, service, browser) is stopped on exit, on
// failure and on SIGINT/SIGTERM; a detached watchdog stops the cluster's
// daemonized nodes even when this process is killed outright.
import { spawn, execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const started = Date.now();
const OVERALL_MS = 240_000;  // under ctest's TIMEOUT 300, so cleanup still runs
const SECRET_KEY = 'dashboard-test-secret-key-0123456789abcdef';
const ADMIN_TOKEN = 'dash-admin-token-0123456789abcdef0123456';
const READER_TOKEN = 'dash-reader-token-0123456789abcdef012345';
const TOKEN_KEY = 'yooni-cache.dashboard.token';
const CHROMIUM = process.env.YOONI_CHROMIUM || '/usr/bin/chromium';

function log(...args) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[${s}s]`, ...args);
}

function option(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`missing ${name} (see the usage at the top of this file)`);
  return path.resolve(process.argv[i + 1]);
}

// ---- cleanup ------------------------------------------------------------------

const cleanups = [];
let cleaning = null;
function onCleanup(fn) { cleanups.push(fn); }
async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      try { await fn(); } catch (e) { console.error('cleanup:', e && e.message ? e.message : e); }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    console.error(`dashboard test: ${sig}, cleaning up`);
    await cleanup();
    process.exit(1);
  });
}

// ---- processes and ports -----------------------------------------------------------

function run(file, args, { timeout = 60_000, env } = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout, env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// A base port P with P..P+count-1 and their bus ports (+10000) free, below the ephemeral range.
async function freeClusterBase(count) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const base = 20000 + Math.floor(Math.random() * 8000);
    let ok = true;
    for (let p = base; ok && p < base + count; p += 1) ok = (await portFree(p)) && (await portFree(p + 10000));
    if (ok) return base;
  }
  throw new Error('no free cluster ports');
}

function minimalEnv(extra) {
  return { PATH: process.env.PATH || '/usr/bin:/bin', LANG: 'C.UTF-8', ...extra };
}

// ---- the service's API ------------------------------------------------------------

function jwt(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64(claims);
  return head + '.' + createHmac('sha256', SECRET_KEY).update(head).digest('base64url');
}

async function api(origin, method, target, { token = ADMIN_TOKEN, body } = {}) {
  const headers = { Authorization: 'Bearer ' + token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(origin + target, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  return { status: r.status, json, text, headers: r.headers };
}

// ---- the test -------------------------------------------------------------------

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  log('ok:', what);
}

async function main() {
  const binary = option('--binary');
  const source = option('--source');
  const out = option('--out');
  fs.mkdirSync(out, { recursive: true });
  check(fs.existsSync(binary), `service binary ${binary} exists`);
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} exists (Debian package chromium; scripts/bootstrap.sh installs it)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error('playwright-core is not installed: run `npm ci --prefix tests/dashboard` (scripts/bootstrap.sh does)');
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yooni-dashboard-'));
  onCleanup(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const clusterScript = path.join(source, 'scripts', 'redis-cluster');
  const clusterDir = path.join(tmp, 'cluster');

  // The cluster: 3 masters on base..base+2, replica k on base+3+k follows master k.
  let base = 0;
  for (let attempt = 1; ; attempt += 1) {
    base = await freeClusterBase(6);
    // Stops the daemonized nodes even if this process is SIGKILLed (ctest timeout).
    const watchdog = spawn('bash', ['-c',
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" stop --port "$3" --dir "$4" --clean >/dev/null 2>&1; ' +
      'for f in "$4"/*/redis.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done; rm -rf "$5"',
      'watchdog', String(process.pid), clusterScript, String(base), clusterDir, tmp],
    { detached: true, stdio: 'ignore' });
    watchdog.unref();
    onCleanup(async () => {
      await run('bash', [clusterScript, 'stop', '--port', String(base), '--dir', clusterDir, '--clean'], { timeout: 60_000 });
    });
    log(`starting a 3+3 Redis Cluster on 127.0.0.1:${base}-${base + 5} (cluster-node-timeout 2000 ms)`);
    const r = await run('bash', [clusterScript, 'start', '--port', String(base), '--node-timeout', '2000', '--dir', clusterDir],
      { timeout: 120_000 });
    if (r.code === 0) break;
    if (attempt >= 3) throw new Error('scripts/redis-cluster start failed:\n' + r.stdout + r.stderr);
    // Most likely a port taken meanwhile by another test's nodes: another base.
    log('scripts/redis-cluster start failed, trying other ports:', (r.stderr || r.stdout).trim().split('\n').pop());
    await run('bash', [clusterScript, 'stop', '--port', String(base), '--dir', clusterDir, '--clean']);
  }

  // The service.
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const svcDir = path.join(tmp, 'service');
  fs.mkdirSync(svcDir);
  const svcLog = path.join(out, 'dashboard-service.log');
  const logFd = fs.openSync(svcLog, 'w');
  // setpriv --pdeathsig: the service dies with this process, however it ends.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => fs.existsSync(f));
  const argv = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', binary, 'serve'] : [binary, 'serve'];
  const service = spawn(argv[0], argv.slice(1), {
    cwd: svcDir,
    stdio: ['ignore', logFd, logFd],
    env: minimalEnv({
      SECRET_KEY,
      API_TOKENS: `ops:admin:${ADMIN_TOKEN},dash:read:${READER_TOKEN}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_THREADS: '2',
      LOG_LEVEL: 'info',
      REDIS_CLUSTER_ENABLED: 'true',
      REDIS_CLUSTER_NODES: `127.0.0.1:${base}`,
      REDIS_CLUSTER_REFRESH_INTERVAL_MS: '1000',
      NEAR_CACHE_MAX_BYTES: '1048576',
    }),
  });
  fs.closeSync(logFd);
  let serviceExited = false;
  service.on('exit', () => { serviceExited = true; });
  onCleanup(async () => {
    if (serviceExited) return;
    service.kill('SIGTERM');
    for (let i = 0; i < 50 && !serviceExited; i += 1) await sleep(100);
    if (!serviceExited) service.kill('SIGKILL');
  });
  log(`service on ${origin} (log: ${svcLog})`);
  for (let i = 0; ; i += 1) {
    if (serviceExited) throw new Error('the service exited; see ' + svcLog);
    try {
      if ((await fetch(origin + '/readyz')).status === 200) break;
    } catch (e) { /* not listening yet */ }
    if (i > 300) throw new Error('the service is not ready after 30 s; see ' + svcLog);
    await sleep(100);
  }

  // The browser: a fresh profile, nothing but loopback.
  const profile = path.join(tmp, 'profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1000 },
  });
  onCleanup(() => context.close());
  const violations = [];
  const offsite = [];
  const tokenInUrl = [];
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(origin + '/')) offsite.push(url);
    if (url.includes(READER_TOKEN) || url.includes(ADMIN_TOKEN)) tokenInUrl.push(url);
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push('script error: ' + e.message));
  // The polls' answers: 304 once the page sends back an unchanged state's tag.
  const notModified = { stats: 0 };
  page.on('response', (r) => {
    if (r.url().endsWith('/api/v1/monitoring/cache/stats') && r.status() === 304) notModified.stats += 1;
  });

  const text = (sel) => page.locator(sel).first().textContent();
  const snapshot = async () => page.evaluate(() => {
    const t = (id) => (document.getElementById(id) || {}).textContent || '';
    const rows = [...document.querySelectorAll('#nodes-body tr')].map((tr) =>
      [...tr.children].map((td) => td.textContent).join(' | '));
    return { state: t('card-state'), masters: t('card-masters'), slots: t('card-slots'), hit: t('card-hit-rate'),
      problem: t('problem'), login: t('login-message'), rows, events: t('events').slice(0, 500) };
  });
  async function waitFor(what, fn, timeoutMs = 20_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      let got = false;
      try { got = await fn(); } catch (e) { got = false; }
      if (got) { log('ok:', what); return; }
      if (Date.now() > until) {
        throw new Error(`timed out after ${timeoutMs / 1000} s waiting for: ${what}\npage: ` +
          JSON.stringify(await snapshot(), null, 1));
      }
      await sleep(250);
    }
  }

  // 1. The page, its policy, and the token form.
  const first = await page.goto(origin + '/dashboard');
  const csp = first.headers()['content-security-policy'] || '';
  check(first.status() === 200 && /script-src 'self'/.test(csp) && /style-src 'self'/.test(csp) && !/unsafe/.test(csp),
    `GET /dashboard is 200 with a Content-Security-Policy without 'unsafe-*' (${csp})`);
  await page.locator('#token-input').waitFor({ state: 'visible' });

  // 2. Bad input: a wrong token, then an expired one, are refused and asked again.
  await page.fill('#token-input', 'certainly-not-a-valid-token');
  await page.click('#token-submit');
  await waitFor('a wrong token is refused: "token rejected" shown, the form asks again', async () =>
    /rejected \(expired or wrong\)/i.test(await text('#login-message')) && page.locator('#token-input').isVisible());
  check(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY) === null, 'the refused token is not kept');
  const now = Math.floor(Date.now() / 1000);
  const expired = jwt({ sub: 'dashboard-test', roles: ['read'], iat: now - 7200, exp: now - 3600 });
  await page.reload();
  check((await text('#login-message')) === '', 'a reload starts with a clean form');
  await page.fill('#token-input', expired);
  await page.click('#token-submit');
  await waitFor('an expired token is refused and asked again', async () =>
    /rejected \(expired or wrong\)/i.test(await text('#login-message')) && page.locator('#token-input').isVisible());

  // 3. A read token: the cluster as it is.
  await page.fill('#token-input', READER_TOKEN);
  await page.click('#token-submit');
  await waitFor('cluster state ok, 3 masters, 16384 slots ok', async () =>
    (await text('#card-state')) === 'ok' && (await text('#card-masters')) === '3' &&
    (await text('#card-slots')) === '16384');
  await waitFor('6 nodes in the table: 3 masters, 3 replicas, all healthy', async () => {
    const roles = await page.locator('#nodes-body td.role').allTextContents();
    const health = await page.locator('#nodes-body td.health').allTextContents();
    return roles.filter((r) => r === 'master').length === 3 && roles.filter((r) => r === 'replica').length === 3 &&
      health.every((h) => h === 'ok');
  });
  check(/^16384 of 16384 assigned · 0 unassigned/.test(await text('#slot-summary')),
    'the slot bar covers all 16384 slots: ' + (await text('#slot-summary')));
  check((await page.locator('#slot-legend li').count()) >= 3, 'the legend names the masters');
  check(await page.locator('#cluster-warnings').isHidden(), 'no warning while every master has a replica');
  check(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY) === READER_TOKEN,
    'the token is kept in sessionStorage');
  check(!page.url().includes(READER_TOKEN), 'the token is not in the URL');

  // 4. Traffic: the hit rate moves, operations and compression are counted.
  const before = await text('#card-hit-rate');
  const big = { id: 1, name: 'humidifier', options: Array.from({ length: 40 }, (_, i) => ({ name: `option ${i}`, price_krw: 42000 + i })) };
  for (let i = 0; i < 20; i += 1) {
    const r = await api(origin, 'PUT', `/api/v1/cache/dash:product:${i}`, { body: { ...big, id: i } });
    if (r.status !== 200) throw new Error('PUT failed: ' + r.text);
  }
  for (let i = 0; i < 40; i += 1) {
    const r = await api(origin, 'GET', `/api/v1/cache/dash:product:${i % 20}`);
    if (r.status !== 200) throw new Error('GET failed: ' + r.text);
  }
  for (let i = 0; i < 10; i += 1) await api(origin, 'GET', `/api/v1/cache/dash:missing:${i}`);
  const stats = (await api(origin, 'GET', '/api/v1/monitoring/cache/stats', { token: READER_TOKEN })).json;
  await waitFor(`the hit rate moves from ${before} to ${stats.hit_rate}`, async () =>
    (await text('#card-hit-rate')) === stats.hit_rate && stats.hit_rate !== before);
  await waitFor('operations per second above 0 after the requests', async () =>
    Number((await text('#card-ops-sub')).replace(/[^0-9]/g, '')) >= 70);
  await waitFor('compression savings shown', async () => !/^(–|0 B)$/.test(await text('#card-saved')));
  // The second read of each product came from the near cache.
  await waitFor('the near cache card shows its hits and bytes', async () =>
    (await page.locator('#card-near').isVisible()) && (await text('#card-near-rate')) !== '0.00%' &&
    /of 1\.00 MiB/.test(await text('#card-near-sub')));
  // No traffic now: the next stats poll sends the last tag back and gets 304;
  // the page keeps showing what it had.
  const seen304 = notModified.stats;
  await waitFor('an unchanged stats poll answered 304, the hit rate still shown', async () =>
    notModified.stats > seen304 && (await text('#card-hit-rate')) === stats.hit_rate);
  // A slot being migrated (left half-way: MIGRATING on its owner, IMPORTING on the other) is marked.
  const cli = async (p, ...args) => {
    const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(p), ...args]);
    if (r.code !== 0 || /^ERR/.test(r.stdout)) throw new Error(`redis-cli -p ${p} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  const slot = 100;  // owned by the first master
  const ownerId = await cli(base, 'cluster', 'myid');
  const targetId = await cli(base + 1, 'cluster', 'myid');
  await cli(base + 1, 'cluster', 'setslot', String(slot), 'importing', ownerId);
  await cli(base, 'cluster', 'setslot', String(slot), 'migrating', targetId);
  await waitFor(`slot ${slot} shown migrating`, async () => /· 1 migrating$/.test(await text('#slot-summary')));
  await sleep(2500);  // one more sample, so the charts show the burst and its end
  const shot = path.join(out, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  log('screenshot:', shot);

  await cli(base, 'cluster', 'setslot', String(slot), 'stable');
  await cli(base + 1, 'cluster', 'setslot', String(slot), 'stable');
  await waitFor('the migration is over', async () => /· 0 migrating$/.test(await text('#slot-summary')));

  // 5. A master dies: the page shows it failed and its replica promoted.
  const victim = base;          // owns slot 0
  const heir = base + 3;        // its replica
  const pid = Number(fs.readFileSync(path.join(clusterDir, String(victim), 'redis.pid'), 'utf8').trim());
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  log(`SIGKILL master 127.0.0.1:${victim} (pid ${pid})`);
  const row = (p) => `#nodes-body tr[data-address="127.0.0.1:${p}"]`;
  await waitFor(`127.0.0.1:${victim} shown as failed`, async () =>
    (await text(row(victim) + ' td.health')) === 'failed', 45_000);
  await waitFor(`replica 127.0.0.1:${heir} shown promoted to master, 3 masters, 16384 slots ok again`, async () =>
    (await text(row(heir) + ' td.role')) === 'master' && Number((await text(row(heir) + ' td.slots')).replace(/,/g, '')) > 5000 &&
    (await text('#card-masters')) === '3' && (await text('#card-slots')) === '16384' && (await text('#card-state')) === 'ok',
  45_000);
  await waitFor(`the promoted 127.0.0.1:${heir} is named as a master without a replica`, async () =>
    (await page.locator('#cluster-warnings').isVisible()) &&
    (await text('#cluster-warnings')).includes(`master 127.0.0.1:${heir} has no replica`), 45_000);
  await waitFor('the events list the failure and the promotion', async () => {
    const events = await text('#events');
    return events.includes(`127.0.0.1:${victim}`) && /promoted to master/.test(events);
  });
  log(`failover shown ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
  const shot2 = path.join(out, 'dashboard-failover.png');
  await page.screenshot({ path: shot2, fullPage: true });
  log('screenshot:', shot2);

  // 6. A token that expired during the session: said so, asked again, forgotten.
  await page.evaluate(([k, t]) => sessionStorage.setItem(k, t), [TOKEN_KEY, expired]);
  await page.reload();
  await waitFor('an expired token kept in the tab is refused and asked again', async () =>
    /rejected \(expired or wrong\)/i.test(await text('#login-message')) && page.locator('#token-input').isVisible() &&
    !(await page.locator('#board').isVisible()));
  check(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY) === null, 'the expired token is forgotten');

  check(violations.length === 0, 'no CSP violation or script error' + (violations.length ? ': ' + violations.join('; ') : ''));
  check(offsite.length === 0, 'every request went to the service' + (offsite.length ? ': ' + offsite.join(', ') : ''));
  check(tokenInUrl.length === 0, 'no request carried a token in its URL');
  check(!serviceExited, 'the service is still running');
}

const overall = setTimeout(async () => {
  console.error(`dashboard test: over ${OVERALL_MS / 1000} s, giving up`);
  await cleanup();
  process.exit(1);
}, OVERALL_MS);

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error('FAILED:', e && e.stack ? e.stack : e);
}
clearTimeout(overall);
await cleanup();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(failed ? `dashboard test failed after ${seconds} s` : `dashboard test passed in ${seconds} s`);
process.exit(failed ? 1 : 0);
