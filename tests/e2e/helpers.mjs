// Shared by the browser end-to-end tests: the real server on an ephemeral
// port with a temp data dir, headless Chromium profiles, and the steps every
// test takes through the web client.
//
// Environment:
//   MOCKLOOP_SERVER          server binary (default ../../build/server/mockloop-server)
//   MOCKLOOP_CHROMIUM        browser binary (default /usr/bin/chromium)
//   MOCKLOOP_E2E_ARTIFACTS   directory for screenshots (default: a fresh temp dir)
//   MOCKLOOP_E2E_SCREENSHOTS when set, the documentation screenshots are
//                            written into docs/images/ as well
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const serverBin = path.resolve(here, process.env.MOCKLOOP_SERVER ?? '../../build/server/mockloop-server');
export const chromiumBin = process.env.MOCKLOOP_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  // The room's call: a fake microphone and camera (a beeping tone and a
  // test pattern), allowed without a prompt, played without a gesture.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];
export const TEST_TIMEOUT_MS = 90_000;

const scratch = mkdtempSync(path.join(tmpdir(), 'mockloop-e2e-'));
export const artifacts = process.env.MOCKLOOP_E2E_ARTIFACTS ?? path.join(scratch, 'artifacts');
mkdirSync(artifacts, { recursive: true });
export const docsImages = process.env.MOCKLOOP_E2E_SCREENSHOTS ? path.join(repo, 'docs', 'images') : null;

// One browser process per test file; each user gets a context of their own
// (own localStorage, so own user key: the matchmaker sees two people).
let browser = null;

before(async () => {
  // Fail once, clearly, rather than once per test.
  assert.ok(isFile(serverBin), `server binary not found: ${serverBin} (build it, or set MOCKLOOP_SERVER)`);
  assert.ok(isFile(chromiumBin), `chromium not found: ${chromiumBin} (bash deploy/install-deps.sh --browser)`);
});

after(async () => {
  await browser?.close();
  browser = null;
  // Keep the screenshots; drop the data dirs.
  rmSync(path.join(scratch, 'data'), { recursive: true, force: true });
});

function isFile(file) {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function mkdirp(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Starts mockloop-server on a free port (or `port`); resolves once it
 * listens. `args` adds flags (e.g. ['--briefing-seconds', '1']); `dataDir`
 * reuses a store, for a restart.
 */
export async function startServer(t, { port = 0, args = [], dataDir = '' } = {}) {
  dataDir ||= mkdtempSync(path.join(mkdirp(path.join(scratch, 'data')), 'run-'));
  const argv = [
    '--port', String(port),
    '--web-root', path.join(repo, 'client', 'web'),
    '--scenarios', path.join(repo, 'scenarios'),
    '--data-dir', dataDir,
    ...args,
  ];
  const proc = spawn(serverBin, argv, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = once(proc, 'exit').then(([code, signal]) => ({ code, signal }));

  const listening = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk;
      const m = /listening on http:\/\/[^\s:]+:(\d+) \(/.exec(log); // the whole line, not half of it
      if (m) resolve(Number(m[1]));
    };
    proc.stdout.setEncoding('utf8').on('data', onData);
    proc.stderr.setEncoding('utf8').on('data', onData);
    proc.on('error', reject);
    exited.then(({ code, signal }) => reject(new Error(`server exited early (${code ?? signal}):\n${log}`)));
    setTimeout(() => reject(new Error(`server did not report its port within 10 s:\n${log}`)), 10_000).unref();
  });

  const server = {
    proc,
    exited,
    dataDir,
    log: () => log,
    port: await listening,
    url: '',
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  server.url = `http://127.0.0.1:${server.port}`;
  t.after(async () => {
    await server.stop();
    if (t.passed === false) t.diagnostic(`server log:\n${log}`);
  });
  return server;
}

async function sharedBrowser() {
  browser ??= await chromium.launch({ executablePath: chromiumBin, headless: true, args: chromiumArgs });
  return browser;
}

/**
 * A fresh browser context (a person) with one page; records console
 * errors, page errors and failed requests in `problems`. `timezoneId`
 * (IANA) sets the zone the page's clock and Intl report.
 */
export async function openUser(t, { viewport = { width: 1280, height: 900 }, timezoneId } = {}) {
  const b = await sharedBrowser();
  const context = await b.newContext({ viewport, ...(timezoneId ? { timezoneId } : {}) });
  t.after(() => context.close().catch(() => {}));
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // Links opened and closed by a test may be cut short; page assets may not.
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`);
  });
  return { context, page, problems };
}

export async function loadApp(page, server) {
  const res = await page.goto(`${server.url}/`);
  assert.equal(res.status(), 200);
  await page.waitForFunction(() => document.readyState === 'complete');
}

/** Loads the page, enters the name, connects; resolves on the start screen. */
export async function signIn(page, server, name) {
  await loadApp(page, server);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });
  await page.locator('#screen-home').waitFor({ state: 'visible' });
}

/**
 * Every staff-only string of every scenario that must never reach a
 * candidate's page: level anchors, signals, interviewer briefings, notes
 * and guidance, sample answers, marker labels, follow-up purposes. Read from the scenario files
 * themselves, so the check does not trust the page or the server.
 */
export function staffOnlyStrings() {
  const dir = path.join(repo, 'scenarios');
  const out = new Set();
  const unquote = (s) => s.replace(/\\(["'\\])/g, '$1').replace(/\\n/g, '\n');
  const patterns = [
    /anchors\s*\{[^}]*?description:\s*"((?:[^"\\]|\\.)*)"/g,
    /(?:positive_signals|negative_signals|strong_answer|red_flags|notes|excerpt|commentary|briefing|interviewer_guidance|purpose|label):\s*"((?:[^"\\]|\\.)*)"/g,
  ];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.textproto'))) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const re of patterns) for (const m of text.matchAll(re)) if (m[1].length >= 12) out.add(unquote(m[1]));
  }
  return [...out];
}

/** Level anchors of one scenario (by id), for spot checks. */
export function anchorsOf(scenarioId) {
  const dir = path.join(repo, 'scenarios');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.textproto'))) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    if (!new RegExp(`^id:\\s*"${scenarioId}"`, 'm').test(text)) continue;
    return [...text.matchAll(/anchors\s*\{[^}]*?description:\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(["'\\])/g, '$1'));
  }
  return [];
}

/**
 * Watches a page for staff-only text for as long as it shows a candidate's
 * room (body[data-role=candidate]): a MutationObserver checks the whole
 * document after every change and records each hit in window.__leaks.
 */
export async function watchForLeaks(page, forbidden) {
  const install = (list) => {
    window.__leaks = [];
    window.__leakChecks = 0; // how many times a candidate's page was checked
    const check = () => {
      if (document.body?.dataset.role !== 'candidate') return;
      window.__leakChecks += 1;
      const text = document.documentElement.textContent;
      for (const s of list) if (text.includes(s)) window.__leaks.push(s);
    };
    const start = () => {
      new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
      check();
    };
    if (document.documentElement) start();
    else document.addEventListener('DOMContentLoaded', start);
  };
  await page.addInitScript(install, forbidden);
}

/** {leaks: staff-only strings seen, checks: candidate-page checks made}. */
export async function leaksOf(page) {
  return page.evaluate(() => ({ leaks: [...new Set(window.__leaks ?? [])], checks: window.__leakChecks ?? 0 }));
}

export function screenshotPath(name) {
  return path.join(artifacts, name);
}

/** The interviewer's page: skips phase after phase until scoring. */
export async function skipToScoring(page) {
  const stage = () => page.evaluate(() => window.mockloop.room?.state?.clock?.stage ?? '');
  for (let guard = 0; guard < 12 && (await stage()) !== 'ROOM_STAGE_SCORING'; guard++) {
    // Just after "Start the interview" the page may still be in the lobby:
    // a click then would land on the briefing and be counted against the
    // lobby, one step ahead of the page, until the last click misses.
    await page.waitForFunction(() =>
      ['ROOM_STAGE_BRIEFING', 'ROOM_STAGE_INTERVIEW', 'ROOM_STAGE_SCORING'].includes(window.mockloop.room?.state?.clock?.stage));
    if ((await stage()) === 'ROOM_STAGE_SCORING') break;
    const before = await page.evaluate(() => JSON.stringify(window.mockloop.room.state.clock));
    await page.locator('.controls button', { hasText: /Skip the briefing|Skip to the next phase|End the interview/ }).click();
    await page.waitForFunction(
      (b) => {
        const c = window.mockloop.room.state.clock;
        const was = JSON.parse(b);
        return c.stage !== was.stage || c.phaseId !== was.phaseId;
      },
      before,
    );
  }
  assert.equal(await stage(), 'ROOM_STAGE_SCORING');
}

/**
 * Both queue for a peer mock of `roundType` at L5 and are matched; resolves
 * with {I, C}: the interviewer's and the candidate's user.
 */
export async function matchPeerMock(a, b, roundType) {
  for (const u of [a, b]) {
    await u.page.locator('#queue-form').getByLabel('Round type').selectOption(roundType);
    await u.page.locator('#queue-form').getByLabel('Level').selectOption('LEVEL_L5');
    await u.page.getByRole('button', { name: 'Find a partner' }).click();
  }
  for (const u of [a, b])
    await u.page.waitForFunction(() => ['candidate', 'interviewer'].includes(document.body.dataset.role), null, { timeout: 15_000 });
  const aRole = await a.page.evaluate(() => document.body.dataset.role);
  return aRole === 'interviewer' ? { I: a, C: b } : { I: b, C: a };
}

/** The pages join the room's call (those not in it yet); resolves once each has a connected peer. */
export async function joinCall(...pages) {
  for (const p of pages) {
    // A page may be joining already (its click sent, the reply on the way).
    const inCall = await p.evaluate(() => window.mockloop.room.call.joined || window.mockloop.room.call.joining);
    if (!inCall) await p.locator('#call-join').click();
  }
  for (const p of pages) {
    await p.waitForFunction((n) => document.querySelectorAll('#call-members li').length === n, pages.length);
    await p.waitForFunction(
      () => [...window.mockloop.room.call.peers.values()].some((peer) => peer.pc.connectionState === 'connected'),
      null,
      { timeout: 20_000 },
    );
  }
}

/** Waits until audio arrives over the page's call, and keeps arriving. */
export async function expectAudioFlowing(page) {
  const opts = { timeout: 20_000, polling: 250 };
  await page.waitForFunction(async () => (await window.mockloop.room.call.inboundAudioBytes()) > 0, null, opts);
  const first = await page.evaluate(() => window.mockloop.room.call.inboundAudioBytes());
  await page.waitForFunction(async (was) => (await window.mockloop.room.call.inboundAudioBytes()) > was + 1000, first, opts);
}
