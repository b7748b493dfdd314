// mockloop web client: the start screen. Pick a display name, connect, and see
// the session the server assigned. Later issues grow this into the full app.
import { Connection } from './protocol.js';

const CLIENT_NAME = 'mockloop-web';
const CLIENT_VERSION = '0.1.0';
const USER_KEY_STORAGE = 'mockloop.userKey';
const MAX_NAME_BYTES = 64; // Hello.display_name: 1..64 bytes of UTF-8
const MAX_ERRORS_SHOWN = 5;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('connect-form'),
  name: $('display-name'),
  nameError: $('display-name-error'),
  connect: $('connect'),
  session: $('session'),
  sessionTitle: $('session-title'),
  status: $('status'),
  detail: $('session-detail'),
  version: $('server-version'),
  errors: $('errors'),
};

let connection = null;

function randomHex(bytes) {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

// A random 128-bit key, made once per browser; the server keys history by it.
let userKeyCache = null;
function userKey() {
  if (userKeyCache) return userKeyCache;
  try {
    const stored = localStorage.getItem(USER_KEY_STORAGE);
    if (stored && /^[0-9a-f]{32}$/.test(stored)) return (userKeyCache = stored);
  } catch {
    // Storage blocked: a key for this page load only.
  }
  userKeyCache = randomHex(16);
  try {
    localStorage.setItem(USER_KEY_STORAGE, userKeyCache);
  } catch {
    // As above.
  }
  return userKeyCache;
}

function wsUrl() {
  return (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws';
}

function nameProblem(name) {
  if (!name) return 'Enter a display name.';
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) return 'That name is too long (64 bytes at most).';
  return '';
}

function showError(code, message, field = '') {
  const item = document.createElement('li');
  const codeEl = document.createElement('code');
  codeEl.textContent = code;
  item.append(codeEl, ' ', message || '(no message)');
  if (field) item.append(` (field: ${field})`);
  ui.errors.prepend(item);
  while (ui.errors.children.length > MAX_ERRORS_SHOWN) ui.errors.lastElementChild.remove();
}

function setStatus(state, detail) {
  ui.status.textContent = state;
  ui.status.dataset.state = state;
  if (detail !== undefined) ui.detail.textContent = detail;
}

function showForm(visible) {
  ui.form.hidden = !visible;
  ui.session.hidden = visible;
  ui.connect.disabled = false;
  (visible ? ui.name : ui.sessionTitle).focus();
}

function connect(name) {
  connection?.stop();
  const conn = new Connection(wsUrl());
  connection = conn;
  window.mockloop = { connection: conn }; // a handle for debugging and e2e tests

  conn.on('state', ({ state, retryInMs }) => {
    if (conn !== connection) return;
    if (state === 'connecting' && !conn.welcome) setStatus('connecting', `Connecting as ${name}…`);
    else if (state === 'reconnecting')
      setStatus('reconnecting', `Disconnected — reconnecting… (next try in ${Math.round(retryInMs / 1000)} s)`);
    else if (state === 'stopped') {
      setStatus('disconnected', 'Not connected.');
      showForm(true);
    }
  });
  conn.on('welcome', (welcome) => {
    setStatus('connected', `Connected as ${name} — session ${welcome.sessionId}`);
    ui.version.textContent = `Server version ${welcome.serverVersion || 'unknown'}`;
  });
  conn.on('error', (err) => showError(err.code, err.message, err.field));
  conn.on('close', ({ code, reason }) => {
    // 1000/1001: normal close or server going away; 1005/1006: no reason given.
    if (![1000, 1001, 1005, 1006].includes(code)) showError(`WS_CLOSE_${code}`, reason || 'connection closed');
  });

  showForm(false);
  conn.start(() => ({
    clientName: CLIENT_NAME,
    clientVersion: CLIENT_VERSION,
    displayName: name,
    userKey: userKey(),
    ...(conn.welcome?.resumeToken ? { resumeToken: conn.welcome.resumeToken } : {}),
  }));
}

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
