// The browser side of the mockloop wire protocol (proto/mockloop/v1/wire.proto)
// over the `mockloop.v1.json` subprotocol: text frames, protobuf canonical JSON.
//
// A Connection keeps one WebSocket open: on every (re)connect it sends Hello
// first, and after a drop it retries with exponential backoff. Events, via on():
//   'state'    {state: 'connecting'|'connected'|'reconnecting'|'stopped', retryInMs?}
//   'welcome'  the Welcome body, after each successful handshake
//   'error'    a ProtocolError, for every error the server sends (replies to
//              requests made with {quiet: true} excepted: the caller handles those)
//   'close'    {code, reason, wasClean}, whenever the socket closes
//   <type>     pushes and unmatched replies, by their body's field name
//              (e.g. 'pong'), with (body, wholeMessage)
//
// Sends are paced to stay under the server's messages-per-second limit
// (Welcome.max_messages_per_second, a token bucket on the server): a burst
// waits in an outbox instead of being refused with RATE_LIMITED. WebRTC
// signals (signal()) have a bucket of their own on the server
// (Welcome.max_signals_per_second) and so an outbox of their own here.

export const SUBPROTOCOL = 'mockloop.v1.json';
const MAX_REQUEST_ID = 0xffffffff;

/** An error reply from the server, or a request that got no reply in time. */
export class ProtocolError extends Error {
  constructor(code, message, { field = '', requestId = 0 } = {}) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.field = field;
    this.requestId = requestId;
  }
}

/** The name of the oneof body field set on a message, e.g. 'welcome'. */
export function bodyType(msg) {
  for (const key of Object.keys(msg)) if (key !== 'requestId') return key;
  return '';
}

export class Connection {
  #url;
  #timeoutMs;
  #minBackoffMs;
  #maxBackoffMs;
  #backoffMs;
  #ws = null;
  #hello = null;
  #handshaken = false;
  #stopped = true;
  #retryTimer = 0;
  #nextId = 1;
  #pending = new Map(); // requestId -> {resolve, reject, timer, sentAt, quiet}
  #handlers = new Map(); // type -> Set<fn>
  #outbox = []; // {ws, text} waiting for the rate limit
  #sentAt = []; // performance.now() of the sends in the last second
  #pumpTimer = 0;
  #signals = { outbox: [], sentAt: [], timer: 0 }; // the same for RtcSignal
  #resumeRetried = false;

  /** Server clock minus local clock, in ms; null until a message carried serverTimeMs. */
  clockOffsetMs = null;
  /** The latest Welcome body, or null. */
  welcome = null;

  constructor(url, { timeoutMs = 10_000, minBackoffMs = 1_000, maxBackoffMs = 30_000 } = {}) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.#minBackoffMs = minBackoffMs;
    this.#maxBackoffMs = maxBackoffMs;
    this.#backoffMs = minBackoffMs;
  }

  /** Subscribes fn to an event or push type; returns an unsubscribe function. */
  on(type, fn) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(fn);
    return () => this.#handlers.get(type)?.delete(fn);
  }

  /** Opens the socket and keeps it open; hello() builds the Hello body for each attempt. */
  start(hello) {
    this.#hello = hello;
    this.#stopped = false;
    this.#open();
  }

  /** Closes the socket for good: no more reconnects. */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#pumpTimer);
    const ws = this.#ws;
    this.#drop(new ProtocolError('CLIENT_STOPPED', 'connection stopped'));
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'client closed');
    this.#emit('state', { state: 'stopped' });
  }

  /**
   * Closes the current socket as a network drop would (the reconnect with
   * backoff follows). For tests and for a "reconnect now" control.
   */
  drop() {
    const ws = this.#ws;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(4001, 'client dropped the connection');
  }

  get connected() {
    return this.#handshaken;
  }

  /** The server's current time estimate, in Unix epoch ms. */
  serverNow() {
    return Date.now() + (this.clockOffsetMs ?? 0);
  }

  /**
   * Sends {requestId, ...msg}; resolves with the reply that carries the same
   * requestId, rejects with a ProtocolError on an error reply or a timeout.
   */
  request(msg, { quiet = false } = {}) {
    if (!this.#handshaken && !msg.hello)
      return Promise.reject(new ProtocolError('CLIENT_NOT_CONNECTED', 'not connected to the server'));
    return this.#request(msg, quiet);
  }

  /**
   * Sends an RtcSignal body ({rtcSignal: ...}) through the signals' own
   * outbox; resolves with the Ack, rejects (never shown) on an error.
   */
  signal(msg) {
    if (!this.#handshaken) return Promise.reject(new ProtocolError('CLIENT_NOT_CONNECTED', 'not connected to the server'));
    return this.#request(msg, true, this.#signals);
  }

  #request(msg, quiet = false, lane = null) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new ProtocolError('CLIENT_NOT_CONNECTED', 'not connected to the server'));
    const requestId = this.#nextId;
    this.#nextId = requestId >= MAX_REQUEST_ID ? 1 : requestId + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new ProtocolError('CLIENT_TIMEOUT', `no reply within ${this.#timeoutMs / 1000} s`, { requestId }));
      }, this.#timeoutMs);
      const entry = { resolve, reject, timer, sentAt: Date.now(), quiet };
      this.#pending.set(requestId, entry);
      const text = JSON.stringify({ requestId, ...msg });
      // Rate limiting starts after Hello on the server, so Hello goes at once.
      if (msg.hello) ws.send(text);
      else if (lane) {
        lane.outbox.push({ ws, text, entry });
        return this.#pumpSignals();
      } else this.#outbox.push({ ws, text, entry });
      this.#pump();
    });
  }

  #pumpSignals() {
    const lane = this.#signals;
    clearTimeout(lane.timer);
    const perSecond = Math.max(1, (this.welcome?.maxSignalsPerSecond ?? 8) - 2);
    while (lane.outbox.length) {
      const now = performance.now();
      while (lane.sentAt.length && now - lane.sentAt[0] >= 1000) lane.sentAt.shift();
      if (lane.sentAt.length >= perSecond) {
        lane.timer = setTimeout(() => this.#pumpSignals(), 1000 - (now - lane.sentAt[0]) + 5);
        return;
      }
      const { ws, text, entry } = lane.outbox.shift();
      if (ws !== this.#ws || ws.readyState !== WebSocket.OPEN) continue;
      entry.sentAt = Date.now();
      ws.send(text);
      lane.sentAt.push(now);
    }
  }

  // Sends what the rate limit allows now and schedules the rest. The window
  // keeps two messages of margin below the server's bucket for jitter.
  #pump() {
    clearTimeout(this.#pumpTimer);
    const perSecond = Math.max(1, (this.welcome?.maxMessagesPerSecond ?? 20) - 2);
    while (this.#outbox.length) {
      const now = performance.now();
      while (this.#sentAt.length && now - this.#sentAt[0] >= 1000) this.#sentAt.shift();
      if (this.#sentAt.length >= perSecond) {
        this.#pumpTimer = setTimeout(() => this.#pump(), 1000 - (now - this.#sentAt[0]) + 5);
        return;
      }
      const { ws, text, entry } = this.#outbox.shift();
      if (ws !== this.#ws || ws.readyState !== WebSocket.OPEN) continue;
      entry.sentAt = Date.now();
      ws.send(text);
      this.#sentAt.push(now);
    }
  }

  #open() {
    clearTimeout(this.#retryTimer);
    this.#emit('state', { state: 'connecting' });
    const ws = new WebSocket(this.#url, SUBPROTOCOL);
    this.#ws = ws;
    ws.addEventListener('open', () => this.#handshake(ws));
    ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
    ws.addEventListener('close', (ev) => this.#onClose(ws, ev));
  }

  async #handshake(ws) {
    try {
      const reply = await this.#request({ hello: this.#hello() }, true);
      if (ws !== this.#ws) return;
      this.welcome = reply.welcome;
      this.#handshaken = true;
      this.#resumeRetried = false;
      this.#backoffMs = this.#minBackoffMs;
      this.#emit('state', { state: 'connected' });
      this.#emit('welcome', reply.welcome);
    } catch (err) {
      if (ws !== this.#ws || this.#stopped) return;
      // A refused resume token: say so, then try once more as a new session
      // (hello() is expected to leave the token out after the event).
      if (err.field === 'resumeToken' && !this.#resumeRetried) {
        this.#resumeRetried = true;
        this.#emit('resume-refused', err);
        return this.#handshake(ws);
      }
      // The server refused this Hello: sending it again would not help.
      if (err.code?.startsWith('ERROR_CODE_')) {
        this.#emit('error', err);
        this.stop();
      } else ws.close(4000, 'no Welcome'); // a timeout: retry like any drop
    }
  }

  #onMessage(data) {
    const receivedAt = Date.now();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return this.#emit('error', new ProtocolError('CLIENT_DECODE_FAILED', 'the server sent a frame that is not JSON'));
    }
    const type = bodyType(msg);
    const body = msg[type] ?? {};
    const requestId = msg.requestId ?? 0;
    const pending = requestId ? this.#pending.get(requestId) : undefined;

    if (body.serverTimeMs !== undefined) {
      // Replies: assume the server stamped it halfway through the round trip.
      const localMs = pending ? (pending.sentAt + receivedAt) / 2 : receivedAt;
      this.clockOffsetMs = Number(body.serverTimeMs) - localMs;
    }

    let error = null;
    if (type === 'error') {
      error = new ProtocolError(body.code ?? 'ERROR_CODE_UNSPECIFIED', body.message ?? '', {
        field: body.field ?? '',
        requestId: body.requestId ?? requestId,
      });
      if (!pending?.quiet) this.#emit('error', error);
    }
    if (pending) {
      this.#pending.delete(requestId);
      clearTimeout(pending.timer);
      if (error) pending.reject(error);
      else pending.resolve(msg);
    }
    // A change answers the request that made it (a private change to its
    // author, a clock move or an asked follow-up to whoever asked) and is
    // also the change itself (docs/protocol.md): the page applies it like
    // any other.
    if (!error && (!pending || type === 'staffRoomChange' || type === 'roomChange')) this.#emit(type, body, msg);
  }

  #onClose(ws, ev) {
    if (ws !== this.#ws) return;
    this.#drop(new ProtocolError('CLIENT_DISCONNECTED', 'the connection closed'));
    this.#emit('close', { code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
    if (this.#stopped) return;
    // Jitter, so that a server restart is not met by every tab at once.
    const retryInMs = Math.round(this.#backoffMs * (0.8 + 0.4 * Math.random()));
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs);
    this.#retryTimer = setTimeout(() => this.#open(), retryInMs);
    this.#emit('state', { state: 'reconnecting', retryInMs });
  }

  // Forgets the socket and fails every request still waiting on it.
  #drop(reason) {
    this.#ws = null;
    this.#outbox = [];
    clearTimeout(this.#pumpTimer);
    this.#signals.outbox = [];
    clearTimeout(this.#signals.timer);
    this.#handshaken = false;
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(reason);
    }
    this.#pending.clear();
  }

  #emit(type, ...args) {
    for (const fn of this.#handlers.get(type) ?? []) {
      try {
        fn(...args);
      } catch (err) {
        globalThis.reportError ? reportError(err) : console.error(err);
      }
    }
  }
}
