// mockloop web client: screens, the connection, and the messages that move
// a user between screens (name -> start -> queue -> room -> debrief; or a
// code -> room / committee). Rendering by message type: a candidate's page
// only ever gets RoomState, CandidateBriefing, Tick and CandidateDebrief,
// and nothing here needs more to draw the candidate's room.
import { Connection } from './protocol.js';
import { ServerClock } from './clock.js';
import {
  $, h, fill, byteLength, durationText,
  ROUND_TYPES, LEVELS, COMPANY_STYLES, roundTypeName, levelName, styleName, roleName,
} from './dom.js';
import { RoomView } from './room.js';
import { CommitteeView } from './committee.js';
import { renderRecord, debriefLinks } from './debrief.js';
import { ScheduleView } from './schedule.js';
import { MyMocksView } from './mymocks.js';

const CLIENT_NAME = 'mockloop-web';
const CLIENT_VERSION = '0.2.0';
const MAX_NAME_BYTES = 64; // Hello.display_name: 1..64 bytes of UTF-8
const MAX_ERRORS_SHOWN = 5;
const ERROR_FADE_MS = 20_000;
// localStorage: lasts; sessionStorage: this tab only (the resume token is a
// secret for this tab's session and must not leak into other tabs).
const KEY_USER = 'mockloop.userKey';
const KEY_NAME = 'mockloop.displayName';
const KEY_PREFS = 'mockloop.queuePrefs';
const KEY_HISTORY = 'mockloop.debriefs';
const KEY_RESUME = 'mockloop.resumeToken';
const KEY_CONTEXT = 'mockloop.context';
const MAX_HISTORY = 30;

// Server error codes, as a person would want them said; the server's own
// message follows.
const FRIENDLY = {
  ERROR_CODE_RATE_LIMITED: 'Too many actions at once; that one was dropped. Try again in a moment.',
  ERROR_CODE_PERMISSION_DENIED: 'Your role may not do that.',
  ERROR_CODE_NOT_FOUND: 'Not found.',
  ERROR_CODE_FAILED_PRECONDITION: 'Not possible right now.',
  ERROR_CODE_UNAVAILABLE: 'The server is busy or shutting down; try again shortly.',
  ERROR_CODE_INTERNAL: 'Something went wrong on the server.',
  ERROR_CODE_FIELD_TOO_LONG: 'That is too long.',
  ERROR_CODE_MISSING_FIELD: 'Something required is missing.',
  ERROR_CODE_INVALID_ARGUMENT: 'That value is not accepted.',
  CLIENT_NOT_CONNECTED: 'Not connected to the server right now; try again once reconnected.',
  CLIENT_TIMEOUT: 'The server did not answer in time.',
};

const store = {
  get(area, key, fallback = null) {
    try {
      const v = area.getItem(key);
      return v === null ? fallback : JSON.parse(v);
    } catch {
      return fallback;
    }
  },
  set(area, key, value) {
    try {
      if (value === null || value === undefined) area.removeItem(key);
      else area.setItem(key, JSON.stringify(value));
    } catch {
      // Storage blocked or full: the app works without it.
    }
  },
};

const ui = {
  status: $('status'),
  detail: $('session-detail'),
  banner: $('banner'),
  bannerText: $('banner-text'),
  bannerDismiss: $('banner-dismiss'),
  errors: $('errors'),
  screens: ['name', 'home', 'queue', 'room', 'committee', 'mocks', 'debrief'].map((s) => $(`screen-${s}`)),
  form: $('connect-form'),
  name: $('display-name'),
  nameError: $('display-name-error'),
  connect: $('connect'),
  homeTitle: $('home-title'),
  homeName: $('home-name'),
};

// ------------------------------------------------------------------ state

const app = {
  conn: null,
  clock: new ServerClock(),
  name: '',
  screen: 'name',
  // What this tab is in, kept in sessionStorage so a reload can resume:
  // {kind: 'queue'|'room'|'committee', ...details}, or null.
  context: store.get(sessionStorage, KEY_CONTEXT),
  wasDropped: false,
  queue: null, // {invite, inviteCode, criteria, lastSpoken}
};
let room = null; // RoomView
let committee = null; // CommitteeView

function setContext(ctx) {
  app.context = ctx;
  store.set(sessionStorage, KEY_CONTEXT, ctx);
}

// ------------------------------------------------------------------ helpers

function randomHex(bytes) {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

// A random 128-bit key, made once per browser; the server keys history by it.
let userKeyCache = null;
function userKey() {
  if (userKeyCache) return userKeyCache;
  const stored = store.get(localStorage, KEY_USER);
  if (typeof stored === 'string' && /^[0-9a-f]{32}$/.test(stored)) return (userKeyCache = stored);
  userKeyCache = randomHex(16);
  store.set(localStorage, KEY_USER, userKeyCache);
  return userKeyCache;
}

function wsUrl() {
  return (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws';
}

function nameProblem(name) {
  if (!name) return 'Enter a display name.';
  if (byteLength(name) > MAX_NAME_BYTES) return 'That name is too long (64 bytes at most).';
  return '';
}

/** Shows an error: friendly text first, then the server's own message. */
export function showError(code, message, field = '') {
  const friendly = FRIENDLY[code];
  const item = h('li', { dataset: { code } });
  const text = h('span', { class: 'error-text' });
  if (friendly) text.append(h('strong', { text: friendly }), ' ');
  text.append(message || '(no message)');
  if (field) text.append(h('span', { class: 'muted', text: ` (field: ${field})` }));
  const close = h('button', {
    type: 'button',
    class: 'dismiss',
    'aria-label': 'Dismiss this message',
    text: '×',
    on: { click: () => item.remove() },
  });
  item.append(h('code', { text: code.replace(/^ERROR_CODE_/, '') }), ' ', text, close);
  ui.errors.prepend(item);
  while (ui.errors.children.length > MAX_ERRORS_SHOWN) ui.errors.lastElementChild.remove();
  setTimeout(() => item.remove(), ERROR_FADE_MS);
}

function showBanner(text, { dismissable = false, kind = 'warn' } = {}) {
  ui.bannerText.textContent = text;
  ui.banner.dataset.kind = kind;
  ui.banner.hidden = false;
  ui.bannerDismiss.hidden = !dismissable;
}
function hideBanner() {
  ui.banner.hidden = true;
}
ui.bannerDismiss.addEventListener('click', hideBanner);

function setStatus(state, detail) {
  ui.status.textContent = state;
  ui.status.dataset.state = state;
  if (detail !== undefined) ui.detail.textContent = detail;
}

/** Shows one screen; moves focus to its heading so keyboard users follow. */
function go(screen, { focus = true } = {}) {
  app.screen = screen;
  for (const el of ui.screens) el.hidden = el.id !== `screen-${screen}`;
  document.body.dataset.screen = screen;
  if (screen !== 'room') document.body.dataset.role = '';
  // A record read earlier (maybe a staff copy) does not linger hidden.
  if (screen !== 'debrief') fill($('debrief-body'));
  if (!focus) return;
  const target = screen === 'name' ? ui.name : $(`screen-${screen}`).querySelector('h2');
  target?.focus({ preventScroll: false });
}

/** Sends a request; errors are shown (unless quiet) and resolve to null. */
async function send(msg, { quiet = false } = {}) {
  if (!app.conn) return null;
  try {
    return await app.conn.request(msg, { quiet });
  } catch (err) {
    // Server errors were shown by the 'error' event; client-side ones here.
    if (!quiet && !String(err.code).startsWith('ERROR_CODE_')) showError(err.code, err.message);
    if (quiet) throw err;
    return null;
  }
}

// ------------------------------------------------------------------ connect

function connect(name, { resume = false } = {}) {
  // Detach first: the old connection's 'stopped' must not look like ours.
  const old = app.conn;
  app.conn = null;
  old?.stop();
  app.name = name;
  store.set(localStorage, KEY_NAME, name);
  if (!resume) {
    store.set(sessionStorage, KEY_RESUME, null);
    setContext(null);
  }
  const conn = new Connection(wsUrl());
  app.conn = conn;
  app.clock.reset();
  // A handle for debugging and the e2e tests.
  window.mockloop = { connection: conn, app, schedule, myMocks, get room() { return room; }, get committee() { return committee; } };

  conn.on('state', ({ state, retryInMs }) => {
    if (conn !== app.conn) return;
    if (state === 'connecting' && !conn.welcome) setStatus('connecting', `Connecting as ${name}…`);
    else if (state === 'reconnecting') {
      app.wasDropped = true;
      setStatus('reconnecting', `Disconnected — reconnecting… (next try in ${Math.max(1, Math.round(retryInMs / 1000))} s)`);
      showBanner('Connection lost. Reconnecting…');
      room?.setConnected(false);
      committee?.setConnected(false);
    } else if (state === 'stopped') {
      setStatus('disconnected', 'Not connected.');
      if (conn === app.conn) leaveEverything();
      go('name');
      ui.connect.disabled = false;
    }
  });
  conn.on('resume-refused', () => store.set(sessionStorage, KEY_RESUME, null));
  conn.on('welcome', (welcome) => onWelcome(conn, welcome));
  conn.on('error', (err) => showError(err.code, err.message, err.field));
  conn.on('close', ({ code, reason }) => {
    // 1000/1001: normal close or server going away; 1005/1006: no reason given; 4001: our own drop().
    if (![1000, 1001, 1005, 1006, 4001].includes(code)) showError(`WS_CLOSE_${code}`, reason || 'connection closed');
  });
  wirePushes(conn);

  conn.start(() => {
    const token = store.get(sessionStorage, KEY_RESUME);
    return {
      clientName: CLIENT_NAME,
      clientVersion: CLIENT_VERSION,
      displayName: name,
      userKey: userKey(),
      ...(token ? { resumeToken: token } : {}),
    };
  });
}

function onWelcome(conn, welcome) {
  if (conn !== app.conn) return;
  app.clock.reset();
  app.clock.sample(welcome.serverTimeMs);
  store.set(sessionStorage, KEY_RESUME, welcome.resumeToken || null);
  setStatus('connected', `Connected as ${app.name} — session ${welcome.sessionId}`);
  const dropped = app.wasDropped;
  app.wasDropped = false;
  const ctx = app.context;

  if (welcome.resumed) {
    // The server follows with Joined, the briefing and the state (rooms),
    // or keeps pushing queue/committee updates: nothing to send.
    if (dropped) showBanner('Reconnected. You kept your seat.', { dismissable: true, kind: 'ok' });
    else hideBanner();
    setTimeout(() => {
      if (!ui.banner.hidden && ui.banner.dataset.kind === 'ok') hideBanner();
    }, 4000);
    room?.setConnected(true);
    committee?.setConnected(true);
    if (ctx?.kind === 'room' && !room) showRoomPlaceholder(ctx);
    if (ctx?.kind === 'queue') showQueue(ctx.queue ?? {});
    if (ctx?.kind === 'committee' && !committee) {
      committee = new CommitteeView(committeeDeps(), ctx);
      go('committee');
    }
    return;
  }

  // A fresh session. If this tab was in something, that seat is gone.
  if (ctx) {
    const what = { room: 'your seat in the room', queue: 'your place in the queue', committee: 'your seat on the committee' }[ctx.kind] ?? 'your seat';
    showBanner(`The connection came back as a new session: ${what} was lost. You are back at the start.`, {
      dismissable: true,
    });
    leaveEverything();
    go('home');
  } else {
    if (dropped) showBanner('Reconnected.', { dismissable: true, kind: 'ok' });
    else hideBanner();
    if (app.screen === 'name' || app.screen === 'queue' || app.screen === 'room' || app.screen === 'committee') showHome();
    // My mocks after a reconnect, or under another device's key: list again.
    if (app.screen === 'mocks') myMocks.refresh();
  }
}

/** Forgets the room/queue/committee views and the context (not the socket). */
function leaveEverything() {
  room?.dispose();
  room = null;
  committee?.dispose();
  committee = null;
  app.queue = null;
  setContext(null);
}

// ------------------------------------------------------------------ pushes

function wirePushes(conn) {
  const live = (fn) => (...args) => {
    if (conn === app.conn) fn(...args);
  };
  conn.on('queueStatus', live(onQueueStatus));
  conn.on('matchFound', live(onMatchFound));
  conn.on('matchForfeited', live(onMatchForfeited));
  conn.on('ticketExpired', live((m) => {
    leaveEverything();
    showHome();
    showBanner(`No partner found: ${m.reason || 'the ticket expired'}.`, { dismissable: true });
  }));
  conn.on('joined', live((j) => onJoined(j)));
  for (const type of ['candidateBriefing', 'staffBriefing', 'roomState', 'staffRoomState', 'staffRoomChange', 'roomChange', 'tick', 'candidateDebrief',
    'board', 'boardUpdate', 'callState', 'rtcSignal']) {
    conn.on(type, live((body) => {
      if (!room) {
        // A push for a room we have no view of (a resume after a reload).
        if (!app.context || app.context.kind !== 'room') return;
        showRoomPlaceholder(app.context);
      }
      room.onMessage(type, body);
    }));
  }
  conn.on('bookingUpdate', live((u) => schedule.onUpdate(u)));
  conn.on('bookingReminder', live((r) => schedule.onReminder(r)));
  conn.on('committeePacket', live((p) => ensureCommittee().onPacket(p)));
  conn.on('committeeState', live((s) => ensureCommittee().onState(s)));
  conn.on('left', live(() => {}));
}

function ensureCommittee() {
  if (!committee) {
    committee = new CommitteeView(committeeDeps(), app.context?.kind === 'committee' ? app.context : {});
    go('committee');
  }
  return committee;
}

// ------------------------------------------------------------------ start screen

function fillSelect(select, pairs, selected) {
  fill(select, pairs.map(([value, label]) => h('option', { value, text: label, selected: value === selected })));
}

const prefs = store.get(localStorage, KEY_PREFS, {});
fillSelect($('round-type'), ROUND_TYPES, prefs.roundType ?? 'ROUND_TYPE_SYSTEM_DESIGN');
fillSelect($('level'), LEVELS, prefs.level ?? 'LEVEL_L5');
fillSelect($('company-style'), COMPANY_STYLES, prefs.companyStyle ?? 'COMPANY_STYLE_UNSPECIFIED');

// -- scheduled mocks (schedule.js)

const schedule = new ScheduleView({
  send,
  now: () => (app.clock.known ? app.clock.now() : Date.now()),
  showError,
  showBanner,
});

// -- My mocks (mymocks.js)

const myMocks = new MyMocksView({
  send,
  showError,
  go,
  showHome: () => showHome(),
  userKey,
  useKey: (key) => {
    // Another device's key: this browser's rounds are now that user's.
    store.set(localStorage, KEY_USER, key);
    userKeyCache = key;
    connect(app.name);
  },
});

let scenarios = [];
async function loadScenarios() {
  const select = $('scenario');
  try {
    const res = await fetch('/api/scenarios', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    scenarios = (await res.json()).scenarios ?? [];
  } catch (err) {
    fill(select, h('option', { value: '', text: 'Could not load the scenarios' }));
    $('scenario-detail').textContent = `The scenario list did not load (${err.message}).`;
    return;
  }
  const groups = ROUND_TYPES.map(([type, label]) => {
    const items = scenarios.filter((s) => s.roundType === type);
    if (!items.length) return null;
    return h('optgroup', { label }, items.map((s) => h('option', { value: s.id, text: s.title })));
  });
  fill(select, groups);
  showScenarioDetail();
  loadLoops();
  loadPracticePackets();
}

// Loops (GET /api/loops): picking one picks its first round's scenario; a
// coach's "next round" then offers the loop's next one.
let loops = [];
async function loadLoops() {
  try {
    const res = await fetch('/api/loops', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    loops = (await res.json()).loops ?? [];
  } catch {
    loops = [];
  }
  fill($('loop'), h('option', { value: '', text: 'One scenario' }), loops.map((l) => h('option', { value: l.id, text: l.title })));
}
const chosenLoop = () => loops.find((l) => l.id === $('loop').value) ?? null;
$('loop').addEventListener('change', () => {
  const loop = chosenLoop();
  const detail = $('loop-detail');
  detail.hidden = !loop;
  if (!loop) return;
  const titleOf = (id) => scenarios.find((s) => s.id === id)?.title ?? id;
  fill(detail, loop.description ?? '',
    h('ol', {}, (loop.rounds ?? []).map((r) => h('li', {}, h('strong', { text: titleOf(r.scenarioId) }), ` — ${r.focus ?? ''}`))));
  if (loop.rounds?.length) $('scenario').value = loop.rounds[0].scenarioId;
  // A loop is run as group coaching: the coach moves the room round by round.
  const coach = document.querySelector('#create-form input[name="creatorRole"][value="ROLE_COACH"]');
  if (coach) coach.checked = true;
  showScenarioDetail();
});
function showScenarioDetail() {
  const s = scenarios.find((x) => x.id === $('scenario').value);
  $('scenario-detail').textContent = s
    ? [
        roundTypeName(s.roundType),
        (s.levels ?? []).map(levelName).join('/'),
        s.companyStyle ? styleName(s.companyStyle) : '',
        s.durationSeconds ? durationText(Number(s.durationSeconds) * 1000) : '',
      ]
        .filter(Boolean)
        .join(' · ')
    : '';
}
$('scenario').addEventListener('change', showScenarioDetail);

function showHome() {
  if (room || committee) leaveEverything();
  ui.homeName.textContent = app.name;
  renderHistory();
  go('home');
  schedule.refresh();
  if (!scenarios.length) loadScenarios();
}

$('change-name').addEventListener('click', () => {
  app.conn?.stop();
});

// -- queue

$('queue-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  enqueue(false);
});
$('invite-partner').addEventListener('click', () => enqueue(true));

async function enqueue(invite) {
  const criteria = {
    roundType: $('round-type').value,
    level: $('level').value,
    companyStyle: $('company-style').value,
  };
  store.set(localStorage, KEY_PREFS, criteria);
  const body = {
    rounds: [criteria.roundType],
    level: criteria.level,
    companyStyle: criteria.companyStyle,
    language: 'en',
    ...(invite ? { invite: true } : {}),
  };
  const reply = await send({ enqueue: body });
  if (!reply?.queueStatus) return;
  const queue = { invite, inviteCode: reply.queueStatus.inviteCode ?? '', criteria };
  setContext({ kind: 'queue', queue });
  showQueue(queue);
  onQueueStatus(reply.queueStatus);
}

// The server pushes QueueStatus every second while a ticket waits; a
// connected page that hears nothing for this long has lost its ticket
// (e.g. a reconnect that kept the session but not the ticket).
const QUEUE_SILENCE_MS = 6_000;
setInterval(() => {
  const q = app.queue;
  if (!q || !app.conn?.connected || app.screen !== 'queue') return;
  if (performance.now() - q.lastStatusAt < QUEUE_SILENCE_MS) return;
  leaveEverything();
  showHome();
  showBanner('Your place in the queue was lost. Queue again to keep looking.', { dismissable: true });
}, 1_000);

function showQueue(queue) {
  app.queue = { ...queue, lastSpoken: '', lastStatusAt: performance.now() };
  const c = queue.criteria ?? {};
  $('queue-title').textContent = queue.invite ? 'Waiting for your partner' : queue.partner ? 'Joining your partner' : 'Looking for a partner';
  $('queue-criteria').textContent = queue.partner
    ? 'Matched as soon as the one who invited you is still waiting.'
    : `${roundTypeName(c.roundType)} · ${levelName(c.level)} · company style: ${styleName(c.companyStyle)}`;
  $('invite-box').hidden = !queue.inviteCode;
  $('invite-code').textContent = queue.inviteCode ?? '';
  $('queue-facts').hidden = Boolean(queue.invite || queue.partner);
  $('match-found').hidden = true;
  $('cancel-queue').hidden = false;
  go('queue');
}

const WIDENING = [
  'exact: your company style, levels one apart',
  'widened: any company style',
  'widened: any company style, levels two apart',
];

function onQueueStatus(s) {
  if (!app.queue) return;
  app.queue.lastStatusAt = performance.now();
  const position = Number(s.position ?? 0);
  const waited = Number(s.waitedMs ?? 0);
  const estimate = Number(s.estimatedWaitMs ?? 0);
  const widening = Number(s.widening ?? 0);
  $('queue-position').textContent = position ? String(position) : 'being placed…';
  $('queue-waited').textContent = durationText(waited);
  $('queue-estimate').textContent = estimate ? `about ${durationText(estimate)}` : 'no recent matches to go by';
  $('queue-widening').textContent = WIDENING[widening] ?? `widened (stage ${widening})`;
  // Spoken only when something that matters changes, not every second.
  const spoken = app.queue.invite
    ? ''
    : `Place in line ${position || 'pending'}. Search ${widening ? 'widened' : 'exact'}.`;
  if (spoken && spoken !== app.queue.lastSpoken) {
    app.queue.lastSpoken = spoken;
    $('queue-live').textContent = spoken;
  }
}

$('cancel-queue').addEventListener('click', async () => {
  await send({ cancelTicket: {} }, { quiet: true }).catch((err) => {
    // No ticket any more (matched or expired meanwhile): nothing to cancel.
    if (err.code !== 'ERROR_CODE_NOT_FOUND') showError(err.code, err.message);
  });
  if (app.context?.kind === 'queue') {
    leaveEverything();
    showHome();
  }
});

$('copy-invite').addEventListener('click', () => copyText($('invite-code').textContent, $('copy-invite')));

export async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    if (button) {
      const was = button.textContent;
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = was), 1500);
    }
  } catch {
    showError('CLIENT_COPY', 'Copying is blocked here; select the code and copy it by hand.');
  }
}

// -- matches

async function onMatchFound(m) {
  const peer = {
    partnerName: m.partnerName ?? '',
    round: Number(m.round ?? 1),
    rounds: Number(m.rounds ?? 2),
    scenarioTitle: m.scenarioTitle ?? '',
    roundType: m.roundType,
  };
  const text = `Matched with ${peer.partnerName || 'a partner'}: round ${peer.round} of ${peer.rounds}, you are the ${roleName(m.role)} on “${peer.scenarioTitle}”. Joining…`;
  if (room) {
    // Round 2 (or a new round) while still looking at the last one: follow
    // it, keeping a link to the last round's debrief.
    if (room.peer?.lastDebrief) peer.previousDebrief = room.peer.lastDebrief;
    room.dispose();
    room = null;
  }
  app.queue = null;
  $('match-found').textContent = text;
  $('match-found').hidden = false;
  $('cancel-queue').hidden = true;
  if (app.screen !== 'queue') {
    $('queue-title').textContent = `Round ${peer.round} of ${peer.rounds}`;
    $('queue-criteria').textContent = '';
    $('queue-facts').hidden = true;
    $('invite-box').hidden = true;
    go('queue');
  }
  await joinRoom(m.joinCode, { peer, expectRole: m.role });
}

function onMatchForfeited(m) {
  if (m.requeued) {
    const queue = app.context?.queue ?? { criteria: {} };
    setContext({ kind: 'queue', queue });
    showQueue(queue);
    showBanner(`${m.reason || 'Your partner did not join.'}`, { dismissable: true });
  } else {
    leaveEverything();
    showHome();
    showBanner(`The match was forfeited: ${m.reason || 'you did not join in time'}.`, { dismissable: true });
  }
}

// -- rooms

function roomDeps() {
  const deps = {
    send,
    // WebRTC signals: their own pacing, errors handled by the call panel.
    signal: (msg) => (app.conn ? app.conn.signal(msg) : Promise.reject(new Error('not connected'))),
    clock: app.clock,
    sessionId: () => app.conn?.welcome?.sessionId ?? '',
    showError,
    copyText,
    scenarios: () => scenarios,
    // The loop this room runs, if the coach started one.
    loop: () => loops.find((l) => l.id === app.context?.loop) ?? null,
    rememberDebrief,
    // Leaving says so to the server; "not in a room" (a peer mock's round
    // the server closed for us) is fine.
    leave: async () => {
      await send({ leaveRoom: {} }, { quiet: true }).catch(() => {});
      leaveEverything();
      showHome();
    },
  };
  deps.backToStart = deps.leave;
  return deps;
}

function showRoomPlaceholder(ctx) {
  room = new RoomView(roomDeps(), ctx);
  go('room');
}

async function joinRoom(code, { peer = null, expectRole = null } = {}) {
  const ctx = { kind: 'room', code, peer, role: expectRole };
  const reply = await send({ joinRoom: { code } }, { quiet: true }).catch((err) => {
    showError(err.code, err.message, err.field);
    return null;
  });
  if (!reply?.joined) {
    if (app.screen === 'queue') showHome();
    return false;
  }
  setContext({ ...ctx, roomId: reply.joined.roomId, role: reply.joined.role });
  onJoined(reply.joined);
  return true;
}

function onJoined(j) {
  // Joined as a reply (JoinRoom) or a push (CreateRoom, a resume).
  const ctx = app.context?.kind === 'room' ? app.context : { kind: 'room' };
  const next = { ...ctx, roomId: j.roomId, role: j.role, participantId: j.participantId };
  setContext(next);
  if (room && room.roomId && room.roomId !== j.roomId) {
    room.dispose();
    room = null;
  }
  if (!room) room = new RoomView(roomDeps(), next);
  room.onJoined(j, next);
  if (app.screen !== 'room') go('room');
}

$('create-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const scenarioId = $('scenario').value;
  if (!scenarioId) return showError('CLIENT_NO_SCENARIO', 'Pick a scenario first.');
  const role = new FormData(ev.target).get('creatorRole') || 'ROLE_INTERVIEWER';
  setContext({ kind: 'room', role });
  const targetLevel = $('create-level').value || undefined;
  const loop = chosenLoop();
  const reply = await send({ createRoom: { scenarioId, creatorRole: role, targetLevel } });
  if (!reply?.roomCreated) {
    setContext(null);
    return;
  }
  const codes = reply.roomCreated.codes ?? [];
  const mine = codes.find((c) => c.role === role)?.code ?? '';
  setContext({ ...app.context, roomId: reply.roomCreated.roomId, codes, code: mine, loop: loop?.id });
  if (room) room.setCodes(codes, mine);
  else {
    room = new RoomView(roomDeps(), app.context);
    go('room');
  }
});

// -- codes: a room, a committee, or a partner's invitation

$('code-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('join-code');
  const code = input.value.trim();
  const err = $('join-code-error');
  err.textContent = '';
  input.removeAttribute('aria-invalid');
  if (!code) {
    err.textContent = 'Enter a code.';
    input.setAttribute('aria-invalid', 'true');
    return input.focus();
  }
  $('join').disabled = true;
  try {
    await useCode(code);
  } finally {
    $('join').disabled = false;
  }
});

async function useCode(code) {
  const fail = (text) => {
    $('join-code-error').textContent = text;
    $('join-code').setAttribute('aria-invalid', 'true');
    $('join-code').focus();
  };
  const tryQuiet = (msg) => send(msg, { quiet: true }).then((r) => ({ r }), (e) => ({ e }));

  // One field for every kind of code: try a room, then a committee, then a
  // partner's invitation. Only "no such code" moves on to the next kind.
  let { r, e } = await tryQuiet({ joinRoom: { code } });
  if (r?.joined) {
    setContext({ kind: 'room', code, roomId: r.joined.roomId, role: r.joined.role });
    onJoined(r.joined);
    $('join-code').value = '';
    return;
  }
  if (e?.code !== 'ERROR_CODE_NOT_FOUND') return e && fail(e.message || e.code);

  setContext({ kind: 'committee', code });
  ({ r, e } = await tryQuiet({ joinCommittee: { code } }));
  if (r) {
    $('join-code').value = '';
    ensureCommittee().setCode(code, false);
    return;
  }
  setContext(null);
  if (e?.code !== 'ERROR_CODE_NOT_FOUND') return fail(e.message || e.code);

  ({ r, e } = await tryQuiet({ enqueue: { partnerCode: code } }));
  if (r?.queueStatus) {
    $('join-code').value = '';
    const queue = { partner: true, criteria: {} };
    setContext({ kind: 'queue', queue });
    showQueue(queue);
    return;
  }
  fail('No room, committee or invitation has that code. Check it and try again.');
}

// -- history of debriefs (this browser)

function debriefHistory() {
  const list = store.get(localStorage, KEY_HISTORY, []);
  return Array.isArray(list) ? list : [];
}

/** Keeps a debrief's id and the code that opens it, newest first. */
function rememberDebrief(entry) {
  if (!entry.id || !entry.code) return;
  const list = debriefHistory().filter((e) => e.id !== entry.id);
  list.unshift({ ...entry, at: Date.now() });
  store.set(localStorage, KEY_HISTORY, list.slice(0, MAX_HISTORY));
}

function renderHistory() {
  const list = debriefHistory();
  $('history-empty').hidden = list.length > 0;
  $('history-actions').hidden = list.length === 0;
  fill(
    $('history-list'),
    list.map((e, i) => {
      const boxId = `hist-${i}`;
      return h(
        'li',
        {},
        h('input', { type: 'checkbox', id: boxId, value: e.id, dataset: { code: e.code } }),
        h('label', { for: boxId, class: 'choice' }, `${e.title || e.id}`, h('span', { class: 'muted', text: ` · ${roleName(e.role)}, ${new Date(e.at).toLocaleDateString()}` })),
        h('div', { class: 'history-actions' },
          h('button', { type: 'button', class: 'secondary small', text: 'View', 'aria-label': `View the debrief of ${e.title || e.id}`, on: { click: () => viewDebrief(e) } }),
          debriefLinks(e.id, e.code),
        ),
      );
    }),
  );
}

// Example packets (GET /api/calibration) for committee practice.
async function loadPracticePackets() {
  let packets = [];
  try {
    const res = await fetch('/api/calibration', { cache: 'no-store' });
    if (res.ok) packets = (await res.json()).packets ?? [];
  } catch {
    packets = [];
  }
  $('practice-packets').hidden = packets.length === 0;
  fill($('practice-packet'), packets.map((p) =>
    h('option', { value: p.id, text: `${p.title} (${levelName(p.targetLevel)}, ${(p.records ?? []).length} rounds)` })));
}
$('open-practice').addEventListener('click', () => openCommittee({ examplePacket: $('practice-packet').value }));

$('open-committee').addEventListener('click', async () => {
  const picked = [...$('history-list').querySelectorAll('input[type=checkbox]:checked')].map((b) => ({ debriefId: b.value, code: b.dataset.code }));
  if (!picked.length) return showError('CLIENT_NOTHING_PICKED', 'Tick one or more debriefs for the packet first (up to 6).');
  if (picked.length > 6) return showError('CLIENT_TOO_MANY', 'A committee reads at most 6 debriefs.');
  return openCommittee({ packet: picked });
});

async function openCommittee(request) {
  setContext({ kind: 'committee' });
  const reply = await send({ createCommittee: request });
  if (!reply?.committeeCreated) {
    setContext(null);
    return;
  }
  const c = reply.committeeCreated;
  setContext({ kind: 'committee', code: c.chairCode, chair: true, memberCode: c.memberCode, chairCode: c.chairCode, committeeId: c.committeeId });
  ensureCommittee().setCode(c.chairCode, true, c.memberCode);
}

async function viewDebrief(entry) {
  const body = $('debrief-body');
  fill(body, h('p', { class: 'muted', text: 'Loading…' }));
  $('debrief-title').textContent = `Debrief: ${entry.title || entry.id}`;
  go('debrief');
  try {
    const res = await fetch(`/api/debriefs/${encodeURIComponent(entry.id)}`, {
      headers: { Authorization: `Bearer ${entry.code}` },
      cache: 'no-store',
    });
    if (!res.ok) throw new Error(res.status === 403 ? 'this code does not open that debrief (any more)' : `HTTP ${res.status}`);
    const record = await res.json();
    fill(body, debriefLinks(entry.id, entry.code), renderRecord(record, { headingLevel: 3 }));
  } catch (err) {
    fill(body, h('p', { class: 'field-error', text: `Could not load the debrief: ${err.message}.` }));
  }
}
$('debrief-print').addEventListener('click', () => window.print());
$('debrief-back').addEventListener('click', () => showHome());

function committeeDeps() {
  return {
    send,
    sessionId: () => app.conn?.welcome?.sessionId ?? '',
    showError,
    copyText,
    rememberDebrief,
    backToStart: () => {
      // There is no LeaveCommittee message: a fresh session is the way out.
      leaveEverything();
      store.set(sessionStorage, KEY_RESUME, null);
      connect(app.name);
    },
  };
}

// ------------------------------------------------------------------ the name form

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = ui.name.value.trim();
  const problem = nameProblem(name);
  ui.nameError.textContent = problem;
  if (problem) {
    ui.name.setAttribute('aria-invalid', 'true');
    ui.name.focus();
    return;
  }
  ui.name.removeAttribute('aria-invalid');
  ui.connect.disabled = true;
  connect(name);
});

// A shared link may carry a code: /#code=XYZ fills the code field.
function codeFromHash() {
  const m = /(?:^#|&)code=([^&]+)/.exec(location.hash);
  if (!m) return;
  $('join-code').value = decodeURIComponent(m[1]);
  window.history.replaceState(null, '', location.pathname + location.search);
}

function boot() {
  codeFromHash();
  const name = store.get(localStorage, KEY_NAME, '');
  if (typeof name === 'string') ui.name.value = name;
  // A reload in the middle of something: resume this tab's session.
  if (name && store.get(sessionStorage, KEY_RESUME) && app.context) {
    ui.connect.disabled = true;
    go('name', { focus: false });
    connect(name, { resume: true });
    return;
  }
  setContext(null);
  go('name', { focus: false });
}
boot();
