// A call relayed through TURN with the credentials the server issues:
// coturn (Debian's package) on loopback with use-auth-secret, mockloop with
// the same secret and ice_relay_only, two matched people in a peer mock.
// Their audio flows through relay candidates only, coturn saw the
// time-limited usernames mockloop minted, and a forged credential gets no
// relay at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_TIMEOUT_MS, startServer, openUser, signIn, matchPeerMock, joinCall, expectAudioFlowing } from './helpers.mjs';

const TURNSERVER = process.env.MOCKLOOP_TURNSERVER ?? '/usr/bin/turnserver';
const SECRET = 'e2e-static-auth-secret';

// A free UDP port for coturn's listener (it takes the TCP one alongside).
async function freeUdpPort() {
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  const { port } = sock.address();
  sock.close();
  return port;
}

async function startCoturn(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mockloop-coturn-'));
  const port = await freeUdpPort();
  // Relays on loopback: the production config (deploy/coturn) denies these.
  const conf = [
    'listening-ip=127.0.0.1', 'relay-ip=127.0.0.1', `listening-port=${port}`,
    'min-port=49152', 'max-port=65535',
    'use-auth-secret', `static-auth-secret=${SECRET}`, 'realm=mockloop.test',
    'allow-loopback-peers', 'no-tls', 'no-dtls', 'no-cli', 'no-multicast-peers', 'fingerprint',
    `userdb=${path.join(dir, 'turndb')}`, `pidfile=${path.join(dir, 'turn.pid')}`, 'log-file=stdout', 'verbose',
  ].join('\n');
  writeFileSync(path.join(dir, 'turnserver.conf'), `${conf}\n`);
  const proc = spawn(TURNSERVER, ['-c', path.join(dir, 'turnserver.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.setEncoding('utf8').on('data', (c) => (log += c));
  proc.stderr.setEncoding('utf8').on('data', (c) => (log += c));
  t.after(() => proc.kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  while (!/Total General servers|listener opened on/i.test(log)) {
    if (proc.exitCode !== null) throw new Error(`turnserver exited:\n${log}`);
    if (Date.now() > deadline) throw new Error(`turnserver did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, log: () => log };
}

// The candidate types of the pairs each peer connection actually uses.
// Chromium names the pair on the transport stat; a connection between
// pair switches may briefly name none, so we ask until every connection
// names one (or the deadline), and fall back to the nominated pair.
const selectedTypesOnce = (page) =>
  page.evaluate(async () => {
    const out = [];
    for (const peer of window.mockloop.room.call.peers.values()) {
      const stats = await peer.pc.getStats();
      const byId = new Map();
      stats.forEach((r) => byId.set(r.id, r));
      let pair = null;
      stats.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId.get(r.selectedCandidatePairId) ?? pair;
      });
      stats.forEach((r) => {
        if (!pair && r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
      });
      out.push(pair ? `${byId.get(pair.localCandidateId)?.candidateType}/${byId.get(pair.remoteCandidateId)?.candidateType}` : null);
    }
    return out;
  });

async function selectedTypes(page) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const types = await selectedTypesOnce(page);
    if ((types.length && types.every(Boolean)) || Date.now() > deadline) return types;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a call relayed through coturn with the server\'s TURN credentials', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  assert.ok(statSync(TURNSERVER).isFile(), `${TURNSERVER} not found (bash deploy/install-deps.sh --browser)`);
  const turn = await startCoturn(t);
  const server = await startServer(t, {
    args: ['--ice-servers', `turn:127.0.0.1:${turn.port}?transport=udp`, '--turn-secret', SECRET, '--ice-relay-only', 'true'],
  });
  const a = await openUser(t);
  const b = await openUser(t);
  await signIn(a.page, server, 'Ada');
  await signIn(b.page, server, 'Bo');
  const { I, C } = await matchPeerMock(a, b, 'ROUND_TYPE_BEHAVIORAL_LEADERSHIP');
  await joinCall(I.page, C.page);
  for (const p of [I.page, C.page]) await expectAudioFlowing(p);

  for (const p of [I.page, C.page]) {
    const config = await p.evaluate(() => window.mockloop.room.call.config);
    assert.equal(config.relayOnly, true);
    const user = config.iceServers[0].username;
    const pid = await p.evaluate(() => window.mockloop.room.participantId);
    assert.match(user, new RegExp(`^\\d+:${pid}$`), 'username is "<expiry>:<participant>"');
    const expiry = Number(user.split(':')[0]);
    const now = Date.now() / 1000;
    assert.ok(expiry > now + 3500 && expiry < now + 3700, `expires in about an hour: ${expiry - now} s`);
    const types = await selectedTypes(p);
    assert.ok(types.length >= 1 && types.every(Boolean), `a selected candidate pair on every connection: ${types}`);
    for (const ty of types) assert.equal(ty, 'relay/relay', `media goes through TURN only: ${types}`);
    // coturn checked the credential and allocated for that very user.
    assert.match(turn.log(), new RegExp(`user <${user}>`), 'coturn saw the minted username');
  }

  // A credential not made with the secret gets no relay candidate.
  const forged = await C.page.evaluate(async (port) => {
    const { username } = window.mockloop.room.call.config.iceServers[0];
    const pc = new RTCPeerConnection({
      iceServers: [{ urls: `turn:127.0.0.1:${port}?transport=udp`, username, credential: 'bm90IHRoZSBzZWNyZXQ=' }],
      iceTransportPolicy: 'relay',
    });
    const seen = [];
    pc.onicecandidate = (e) => e.candidate?.candidate && seen.push(e.candidate.candidate);
    pc.addTransceiver('audio');
    await pc.setLocalDescription();
    await new Promise((r) => setTimeout(r, 3000));
    pc.close();
    return seen.length;
  }, turn.port);
  assert.equal(forged, 0, 'coturn refused the forged credential');
  for (const u of [a, b]) assert.deepEqual(u.problems, [], 'no console errors');
});
