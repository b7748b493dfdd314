// The room where the mock happens: two people matched for a system-design
// peer mock join the room's call and hear each other (WebRTC through the
// room's signalling; getStats shows audio arriving on both sides), see who
// is speaking and who is muted, and the candidate draws on the shared board
// while the interviewer watches; the board is in the candidate's debrief and
// in the Markdown record. A page outside the room cannot signal into it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  TEST_TIMEOUT_MS, startServer, openUser, signIn, screenshotPath, repo, docsImages, matchPeerMock, joinCall,
  expectAudioFlowing,
} from './helpers.mjs';

// One system-design scenario with a five-minute sketch phase, so the match
// is the same every run.
const SCENARIO = 'video-transcoding-pipeline';
function scenarioDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mockloop-e2e-scenarios-'));
  copyFileSync(path.join(repo, 'scenarios', `${SCENARIO}.textproto`), path.join(dir, `${SCENARIO}.textproto`));
  return dir;
}

// Clicks at a point of the board given in board units (the view starts at
// 2000 x 1500 and nothing here draws beyond it).
async function clickBoard(page, x, y) {
  await page.locator('#board-canvas').scrollIntoViewIfNeeded();
  const box = await page.locator('#board-canvas').boundingBox();
  await page.mouse.click(box.x + (x / 2000) * box.width, box.y + (y / 1500) * box.height);
}

test('a peer mock talks over WebRTC and draws on the shared board', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t, { args: ['--scenarios', scenarioDir()] });
  const a = await openUser(t);
  const b = await openUser(t);
  await signIn(a.page, server, 'Ada');
  await signIn(b.page, server, 'Bo');
  const { I, C } = await matchPeerMock(a, b, 'ROUND_TYPE_SYSTEM_DESIGN');
  const ip = I.page;
  const cp = C.page;

  // Both join the call, see each other in it, and hear each other.
  await cp.locator('#call-join').click();
  await ip.waitForFunction(() => document.querySelectorAll('#call-members li').length === 1);
  await joinCall(cp, ip);
  for (const p of [ip, cp]) await expectAudioFlowing(p);
  // The fake microphone beeps: the interviewer sees the candidate speaking.
  const cid = await cp.evaluate(() => window.mockloop.room.participantId);
  await ip.locator(`#call-members li[data-participant="${cid}"][data-speaking="true"]`).waitFor({ timeout: 15_000 });
  // Muting shows on the other side.
  await cp.locator('#call-mute').click();
  await ip.locator(`#call-members li[data-participant="${cid}"]`, { hasText: 'muted' }).waitFor();
  await cp.locator('#call-mute', { hasText: 'Unmute' }).waitFor();
  const mics = await cp.locator('#call-mic option').count();
  assert.ok(mics >= 1, 'the microphone picker lists the fake device');

  // A page in no room cannot signal into this one.
  const stranger = await openUser(t);
  await signIn(stranger.page, server, 'Mallory');
  const refused = await stranger.page.evaluate(async (to) => {
    try {
      await window.mockloop.connection.signal({ rtcSignal: { toParticipantId: to, description: { type: 'TYPE_OFFER', sdp: 'v=0' } } });
      return 'relayed';
    } catch (err) {
      return err.code;
    }
  }, cid);
  assert.equal(refused, 'ERROR_CODE_FAILED_PRECONDITION');

  // The interview starts; the board opens when (and, in a scenario with a
  // sketch phase, only while) the candidate may draw.
  await ip.getByRole('button', { name: 'Start the interview' }).click();
  await ip.getByRole('button', { name: 'Skip the briefing' }).click();
  const sketchAt = await ip.evaluate(() => window.mockloop.room.phases.findIndex((p) => p.sketch));
  assert.ok(sketchAt > 0, `${SCENARIO} time-boxes a sketch after its first phase`);
  {
    await cp.locator('#sec-board .board-status', { hasText: 'open in' }).waitFor();
    assert.ok(await cp.locator('#sec-board .board-toolbar').isHidden(), 'closed before the sketch phase');
    for (let i = 0; i < sketchAt; i++) {
      const phase = await ip.evaluate(() => window.mockloop.room.state.clock.phaseId);
      await ip.getByRole('button', { name: 'Skip to the next phase' }).click();
      await ip.waitForFunction((was) => window.mockloop.room.state.clock.phaseId !== was, phase);
    }
  }
  await cp.locator('#sec-board .board-toolbar').waitFor({ state: 'visible' });
  assert.ok(await ip.locator('#sec-board .board-toolbar').isVisible(), 'the interviewer draws too');

  await cp.locator('#sec-board [data-tool="box"]').click();
  await cp.locator('#board-text').fill('API gateway');
  await clickBoard(cp, 400, 400);
  await cp.locator('#board-canvas [data-object]', { hasText: 'API gateway' }).waitFor();
  await cp.locator('#board-text').fill('Counter store');
  await clickBoard(cp, 1300, 400);
  await cp.locator('#board-canvas [data-object]', { hasText: 'Counter store' }).waitFor();
  await cp.locator('#sec-board [data-tool="arrow"]').click();
  await cp.locator('#board-text').fill('INCR per key');
  await clickBoard(cp, 400, 400);
  await clickBoard(cp, 1300, 400);
  // The interviewer's page shows the same board, drawn by the server's order.
  await ip.locator('#board-canvas .board-arrow', { hasText: 'INCR per key' }).waitFor();
  assert.equal(await ip.locator('#board-canvas .board-box').count(), 2);
  // A box dragged across the board lands where it was dropped, for both.
  await cp.locator('#sec-board [data-tool="select"]').click();
  await cp.locator('#board-canvas').scrollIntoViewIfNeeded();
  const canvas = await cp.locator('#board-canvas').boundingBox();
  const at = (x, y) => [canvas.x + (x / 2000) * canvas.width, canvas.y + (y / 1500) * canvas.height];
  await cp.mouse.move(...at(1300, 400));
  await cp.mouse.down();
  await cp.mouse.move(...at(1300, 1000), { steps: 5 });
  await cp.mouse.up();
  await ip.waitForFunction(() => {
    const o = [...window.mockloop.room.board.objects.values()].find((x) => x.text === 'Counter store');
    return o && o.y > 800;
  });
  // The candidate's page with the board and the call, for the docs.
  const shot = screenshotPath('room-board-call.png');
  await cp.locator('#board-text').fill('');
  await cp.evaluate(() => {
    document.activeElement?.blur();
    document.getElementById('sec-board').scrollIntoView();
  });
  await cp.locator('#sec-board').screenshot({ path: shot });
  t.diagnostic(`screenshot: ${shot}`);
  if (docsImages) copyFileSync(shot, path.join(docsImages, 'room-board.png'));

  // Pens down when the sketch phase ends: the board stays as drawn.
  await ip.getByRole('button', { name: 'Skip to the next phase' }).click();
  await cp.locator('#sec-board .board-toolbar').waitFor({ state: 'hidden' });
  await cp.locator('#sec-board .board-status', { hasText: 'open in' }).waitFor();

  // To the end of the round: the board is in the candidate's debrief.
  for (let guard = 0; guard < 10; guard++) {
    if ((await ip.evaluate(() => window.mockloop.room.state.clock.stage)) === 'ROOM_STAGE_SCORING') break;
    const before = await ip.evaluate(() => JSON.stringify(window.mockloop.room.state.clock));
    await ip.locator('.controls button', { hasText: /Skip the briefing|Skip to the next phase|End the interview/ }).click();
    await ip.waitForFunction((b) => JSON.stringify(window.mockloop.room.state.clock.phaseId) !== JSON.stringify(JSON.parse(b).phaseId)
      || window.mockloop.room.state.clock.stage !== JSON.parse(b).stage, before);
  }
  await ip.getByRole('button', { name: 'Reveal scorecards' }).click();
  await cp.locator('#sec-outcome h4', { hasText: 'Your board' }).waitFor();
  await cp.locator('#sec-outcome .board-figure').screenshot({ path: screenshotPath('debrief-board.png') });
  const src = await cp.locator('#sec-outcome img.board-image').getAttribute('src');
  const svg = Buffer.from(src.replace('data:image/svg+xml;base64,', ''), 'base64').toString('utf8');
  assert.match(svg, />API gateway</);
  assert.match(svg, />INCR per key</);
  const href = await cp.locator('#sec-outcome a.debrief-md').getAttribute('href');
  const md = await (await fetch(new URL(href, server.url))).text();
  assert.match(md, /## Board/);
  assert.match(md, /- \[API gateway\] -> \[Counter store\]: INCR per key/);
  assert.match(md, /!\[The board as the round ended\]\(data:image\/svg\+xml;base64,/);

  for (const u of [a, b, stranger]) assert.deepEqual(u.problems, [], 'no console errors');
});
