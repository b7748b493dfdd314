// Scheduled mocks in two browsers in different zones (Berlin and Tokyo):
// each books the same slot from the start screen in their own local time,
// they are paired, each sees both local times, the calendar links serve
// the booking, bad times and a double booking are refused on the field,
// a cancel shows, and checking in from both pages starts the peer mock.
// The server runs with a wide check-in window so a slot a day ahead can be
// checked into now; the window's own edges are tested in the unit and
// integration tests (tests/core/schedule_test.cpp, tests/shell/schedule_test.cpp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT_MS, startServer, openUser, signIn, screenshotPath } from './helpers.mjs';

const SLOT_MS = 30 * 60_000;
const HOUR_MS = 3_600_000;

/** The value a datetime-local input takes for `ms`, in the page's zone. */
function localValue(page, ms) {
  return page.evaluate((at) => {
    const d = new Date(at);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }, ms);
}

async function book(page, ms, roundType = 'ROUND_TYPE_BEHAVIORAL_LEADERSHIP') {
  await page.locator('#slot-start').fill(await localValue(page, ms));
  await page.locator('#slot-round-type').selectOption(roundType);
  await page.locator('#slot-level').selectOption('LEVEL_L5');
  await page.getByRole('button', { name: 'Book this slot' }).click();
}

const row = (page, id) => page.locator(`#booking-list li.booking[data-booking-id="${id}"]`);
const bookingsOf = (page) => page.evaluate(() => window.mockloop.schedule.bookings);

test('two people in two zones book one slot, see both local times, and check in into a peer mock', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t, { args: ['--check-in-before-seconds', String(48 * 3600)] });
  const a = await openUser(t, { timezoneId: 'Europe/Berlin' });
  const b = await openUser(t, { timezoneId: 'Asia/Tokyo' });
  await signIn(a.page, server, 'Ada');
  await signIn(b.page, server, 'Bo');

  // Each form speaks the browser's zone, and nothing is booked yet.
  await a.page.locator('#slot-zone', { hasText: 'Europe/Berlin' }).waitFor();
  await b.page.locator('#slot-zone', { hasText: 'Asia/Tokyo' }).waitFor();
  for (const u of [a, b]) {
    assert.ok(await u.page.locator('#bookings-empty').isVisible());
    await u.page.locator('#reliability', { hasText: 'nothing counted yet' }).waitFor();
  }

  // A slot a day and a bit ahead, on the half hour (UTC).
  const now = Date.now();
  const slot = Math.ceil((now + 26 * HOUR_MS) / SLOT_MS) * SLOT_MS;

  // Ada books: waiting for a partner, in her own time (CET).
  await book(a.page, slot);
  await a.page.locator('#banner', { hasText: 'You will be paired when someone else books it' }).waitFor();
  const [mine] = await bookingsOf(a.page);
  assert.equal(Number(mine.startMs), slot, 'the slot booked is the instant entered in Berlin time');
  assert.equal(mine.timeZone, 'Europe/Berlin');
  const aRow = row(a.page, mine.bookingId);
  await aRow.waitFor();
  assert.equal(await aRow.getAttribute('data-status'), 'pending');
  assert.match(await aRow.locator('.booking-when').textContent(), /Waiting for a partner/);
  assert.match(mine.localStart, /UTC\+01:00/);
  assert.ok(!(await a.page.locator('#bookings-empty').isVisible()));

  // Bo books the same instant from Tokyo: both are paired at once; Ada's
  // row changes by a pushed update, without a reload.
  await book(b.page, slot);
  await b.page.locator('#banner', { hasText: 'paired with Ada' }).waitFor();
  const [his] = await bookingsOf(b.page);
  assert.equal(Number(his.startMs), slot);
  assert.match(his.localStart, /UTC\+09:00/);
  const bRow = row(b.page, his.bookingId);
  await bRow.locator('.booking-partner', { hasText: 'With Ada' }).waitFor();
  assert.equal(await bRow.getAttribute('data-status'), 'paired');
  await aRow.locator('.booking-partner', { hasText: 'With Bo' }).waitFor();
  assert.equal(await aRow.getAttribute('data-status'), 'paired');
  // Each sees the partner's local time of the same instant.
  assert.match(await aRow.locator('.booking-partner').textContent(), /their time: .*UTC\+09:00/);
  assert.match(await bRow.locator('.booking-partner').textContent(), /their time: .*UTC\+01:00/);
  assert.match(await aRow.locator('.booking-when strong').textContent(), /UTC\+01:00/);

  // The calendar: the one booking's file and the user's feed, both RFC 5545.
  const oneHref = await aRow.getByRole('link', { name: 'Add to calendar' }).getAttribute('href');
  const one = await a.page.request.get(server.url + oneHref);
  assert.equal(one.status(), 200);
  assert.match(one.headers()['content-type'], /^text\/calendar/);
  const ics = await one.text();
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
  assert.match(ics, new RegExp(`UID:${mine.bookingId}@mockloop\\r\\n`));
  assert.match(ics, /STATUS:CONFIRMED\r\n/);
  assert.ok(await a.page.locator('#calendar-links').isVisible());
  const subscribe = await a.page.locator('#calendar-subscribe').getAttribute('href');
  assert.match(subscribe, /^webcal:\/\/127\.0\.0\.1:\d+\/calendar\/[0-9a-f]+\.ics$/);
  const feed = await a.page.request.get(server.url + (await a.page.locator('#calendar-download').getAttribute('href')));
  assert.equal(feed.status(), 200);
  assert.ok((await feed.text()).includes(`UID:${mine.bookingId}@mockloop`));

  // Bad input is refused on the field, typed, and nothing is booked.
  await book(a.page, slot); // overlaps her own booking
  await a.page.locator('#slot-start-error', { hasText: 'you already have a mock booked at' }).waitFor();
  assert.equal(await a.page.locator('#slot-start').getAttribute('aria-invalid'), 'true');
  await book(a.page, Math.floor((now - 2 * HOUR_MS) / SLOT_MS) * SLOT_MS); // in the past
  await a.page.locator('#slot-start-error', { hasText: 'that time has passed' }).waitFor();
  await a.page.locator('#slot-start').fill('');
  await a.page.getByRole('button', { name: 'Book this slot' }).click();
  await a.page.locator('#slot-start-error', { hasText: 'Enter a date and a time.' }).waitFor();
  assert.equal((await bookingsOf(a.page)).length, 1, 'refused bookings added nothing');

  // A second booking, cancelled: it stays on the list as cancelled, and an
  // unpaired cancel costs nothing on the record.
  await book(a.page, slot + 3 * 24 * HOUR_MS, 'ROUND_TYPE_SYSTEM_DESIGN');
  await a.page.locator('#banner', { hasText: 'You will be paired' }).waitFor();
  await a.page.waitForFunction(() => window.mockloop.schedule.bookings.length === 2);
  const later = (await bookingsOf(a.page)).find((x) => x.bookingId !== mine.bookingId);
  const laterRow = row(a.page, later.bookingId);
  await laterRow.getByRole('button', { name: /^Cancel your mock/ }).click();
  await a.page.locator(`#booking-list li[data-booking-id="${later.bookingId}"][data-status="cancelled"]`).waitFor();
  assert.equal(await laterRow.getByRole('button', { name: /^Cancel your mock/ }).count(), 0, 'a cancelled booking has no buttons');
  await a.page.locator('#reliability', { hasText: 'nothing counted yet' }).waitFor();
  await a.page.screenshot({ path: screenshotPath('schedule-paired.png'), fullPage: true });

  // Check-in (open now, by the wide window): Ada first, Bo is told; then Bo,
  // and both pages go into the peer mock's room.
  await aRow.getByRole('button', { name: /^Check in for your mock/ }).click();
  await aRow.locator('.booking-note', { hasText: 'waiting for your partner' }).waitFor();
  assert.ok(await aRow.getByRole('button', { name: /^Check in for your mock/ }).isDisabled());
  await bRow.locator('.booking-note', { hasText: 'Your partner has checked in' }).waitFor();
  await bRow.getByRole('button', { name: /^Check in for your mock/ }).click();
  for (const u of [a, b])
    await u.page.waitForFunction(() => ['candidate', 'interviewer'].includes(document.body.dataset.role), null, { timeout: 15_000 });
  const roles = [a, b].map((u) => u.page.evaluate(() => document.body.dataset.role));
  assert.deepEqual((await Promise.all(roles)).sort(), ['candidate', 'interviewer']);
  for (const u of [a, b]) await u.page.locator('#room-sub', { hasText: 'round 1 of 2' }).waitFor();
  assert.equal(
    await a.page.evaluate(() => window.mockloop.room.state.roomId),
    await b.page.evaluate(() => window.mockloop.room.state.roomId),
    'one room for the two of them',
  );

  for (const u of [a, b]) assert.deepEqual(u.problems, [], 'no console errors');
});
