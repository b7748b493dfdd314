// Benchmark: the room's call as a full mesh in headless Chromium with fake
// media, on loopback. Two shapes:
//   mesh      an interviewer, a candidate and two observers: 4 speakers,
//             each with 3 peer connections (the "mesh up to 4")
//   coaching  a coach, a candidate and N observers who listen
// For each: time from the last "Join the call" to every page having all its
// peers connected, and each page's audio bitrate up and down over a window.
// Traffic goes only to 127.0.0.1; the run is bounded and stops by itself.
//
//   node tests/e2e/call-mesh.bench.mjs [--seconds 10] [--listeners 6]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = Math.min(60, arg('seconds', 10));
const LISTENERS = Math.min(14, arg('listeners', 6));
const serverBin = path.resolve(repo, process.env.MOCKLOOP_SERVER ?? 'build/server/mockloop-server');

async function startServer() {
  const data = mkdtempSync(path.join(tmpdir(), 'mockloop-bench-'));
  const proc = spawn(serverBin, ['--port', '0', '--data-dir', data, '--web-root', path.join(repo, 'client/web'),
    '--scenarios', path.join(repo, 'scenarios')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const on = (c) => {
      log += c;
      const m = /listening on http:\/\/[^\s:]+:(\d+) \(/.exec(log); // the whole line, not half of it
      if (m) resolve(Number(m[1]));
    };
    proc.stdout.setEncoding('utf8').on('data', on);
    proc.stderr.setEncoding('utf8').on('data', on);
    setTimeout(() => reject(new Error(`no port:\n${log}`)), 10_000).unref();
  });
  return { url: `http://127.0.0.1:${port}`, stop: async () => { proc.kill('SIGTERM'); await once(proc, 'exit'); rmSync(data, { recursive: true, force: true }); } };
}

async function person(browser, server, name) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/`);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });
  return page;
}

async function room(browser, server, lead, others) {
  const host = await person(browser, server, lead.name);
  await host.locator('#scenario option[value="video-transcoding-pipeline"]').waitFor({ state: 'attached' });
  await host.getByLabel('Scenario').selectOption('video-transcoding-pipeline');
  if (lead.coach) await host.getByLabel(/coach/).check();
  await host.getByRole('button', { name: 'Create room' }).click();
  await host.locator('code.join-code[data-role="ROLE_OBSERVER"]').waitFor();
  const code = async (role) => (await host.locator(`code.join-code[data-role="${role}"]`).textContent()).trim();
  const pages = [host];
  for (const o of others) {
    const p = await person(browser, server, o.name);
    await p.getByLabel('Room, committee or invitation code').fill(await code(o.role));
    await p.getByRole('button', { name: 'Join', exact: true }).click();
    await p.locator('#call-join').waitFor();
    pages.push(p);
  }
  return pages;
}

// Bytes of audio sent and received over all of a page's peer connections.
const audioBytes = (page) => page.evaluate(async () => {
  let sent = 0, received = 0;
  for (const peer of window.mockloop.room.call.peers.values()) {
    (await peer.pc.getStats()).forEach((r) => {
      if (r.kind !== 'audio') return;
      if (r.type === 'outbound-rtp') sent += r.bytesSent ?? 0;
      if (r.type === 'inbound-rtp') received += r.bytesReceived ?? 0;
    });
  }
  return { sent, received };
});

async function measure(label, pages, roles) {
  const t0 = performance.now();
  await Promise.all(pages.map((p) => p.locator('#call-join').click()));
  // A speaker connects to everyone else; a listener to the speakers only.
  const speakers = roles.filter((r) => r !== 'listener').length;
  await Promise.all(pages.map((p, i) => p.waitForFunction((n) => {
    const peers = [...window.mockloop.room.call.peers.values()];
    return peers.length === n && peers.every((x) => x.pc.connectionState === 'connected');
  }, roles[i] === 'listener' ? speakers : pages.length - 1, { timeout: 30_000, polling: 100 })));
  const setupMs = performance.now() - t0;
  const before = await Promise.all(pages.map(audioBytes));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const after = await Promise.all(pages.map(audioBytes));
  const kbps = (a, b) => ((b - a) * 8) / SECONDS / 1000;
  const rows = pages.map((_, i) => ({
    role: roles[i],
    peers: 0,
    up: kbps(before[i].sent, after[i].sent),
    down: kbps(before[i].received, after[i].received),
  }));
  for (let i = 0; i < pages.length; i++) rows[i].peers = await pages[i].evaluate(() => window.mockloop.room.call.peers.size);
  console.log(`\n${label}: ${pages.length} people, all peers connected ${setupMs.toFixed(0)} ms after the joins`);
  console.log('| who | peer connections | audio up kbit/s | audio down kbit/s |\n|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.role} | ${r.peers} | ${r.up.toFixed(1)} | ${r.down.toFixed(1)} |`);
}

const browser = await chromium.launch({
  executablePath: process.env.MOCKLOOP_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
});
const server = await startServer();
const deadline = setTimeout(() => {
  console.error('benchmark took over 5 minutes; stopping');
  process.exit(1);
}, 300_000);
try {
  const mesh = await room(browser, server, { name: 'Ivy' }, [
    { name: 'Cal', role: 'ROLE_CANDIDATE' }, { name: 'Obi', role: 'ROLE_OBSERVER' }, { name: 'Oda', role: 'ROLE_OBSERVER' }]);
  await measure('mesh', mesh, ['interviewer', 'candidate', 'observer', 'observer']);
  for (const p of mesh) await p.context().close();

  const observers = Array.from({ length: LISTENERS }, (_, i) => ({ name: `Obs${i + 1}`, role: 'ROLE_OBSERVER' }));
  const group = await room(browser, server, { name: 'Cora', coach: true }, [{ name: 'Cam', role: 'ROLE_CANDIDATE' }, ...observers]);
  await measure('coaching', group, ['coach', 'candidate', ...observers.map(() => 'listener')]);
} finally {
  clearTimeout(deadline);
  await browser.close();
  await server.stop();
}
