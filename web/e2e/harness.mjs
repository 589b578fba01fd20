// Test harness: the real `rocqet` binary on a free loopback port with a fresh
// SQLite database and the built web/dist, REST helpers, and headless Debian
// Chromium driven by playwright-core (no browser downloads).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB = resolve(here, '..');
export const REPO = resolve(WEB, '..');
export const BINARY = process.env.ROCQET_BIN ?? join(REPO, 'target', 'debug', 'rocqet');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(WEB, 'screenshots');

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function eventually(check, { timeout = 10_000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

export async function startServer() {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: cargo build -p rocqet-server --bin rocqet`);
  if (!existsSync(join(WEB, 'dist', 'index.html'))) throw new Error('web/dist is missing: run web/build.sh');
  const dir = mkdtempSync(join(tmpdir(), 'rocqet-e2e-'));
  const port = await freePort();
  const log = [];
  const child = spawn(
    BINARY,
    [
      'serve',
      '--listen', `127.0.0.1:${port}`,
      '--database-url', `sqlite://${join(dir, 'rocqet.db')}`,
      '--data-dir', dir,
      '--web-dir', join(WEB, 'dist'),
      // Short quiet period so automatic versions do not wait half a minute.
      '--version-quiet-secs', '2',
      '--auth-attempts-per-ip', '1000',
      '--auth-attempts-per-email', '100',
    ],
    { env: { ...process.env, ROCQET_JWT_SECRET: 'e2e-secret-0123456789abcdef0123456789', ROCQET_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const base = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`server exited: ${log.join('')}`);
    return (await fetch(`${base}/healthz`)).ok;
  }, { timeout: 30_000, what: 'the server to start' });
  return {
    base,
    log,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function rest(base, token, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

let counter = 0;
export async function register(base, name) {
  const email = `${name.toLowerCase()}-${process.pid}-${++counter}@example.com`;
  const auth = await rest(base, null, 'POST', '/api/auth/register', { email, password: 'correct horse battery', name });
  return { ...auth, email, password: 'correct horse battery' };
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Collects console errors and page errors; the tests assert there are none. */
export function watch(page, errors) {
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`[${msg.type()}] ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`[pageerror] ${err.message}`));
  return page;
}

/** A browser context already signed in as `auth` (its session put where the app keeps it). */
export async function signedIn(browser, base, auth, errors, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ baseURL: base, viewport });
  const stored = { user: auth.user, access_token: auth.access_token, refresh_token: auth.refresh_token, expires_at: Date.now() + auth.expires_in * 1000 };
  await context.addInitScript((s) => {
    if (!localStorage.getItem('rocqet.session')) localStorage.setItem('rocqet.session', s);
  }, JSON.stringify(stored));
  const page = watch(await context.newPage(), errors);
  return { context, page };
}
