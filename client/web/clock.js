// The server's clock, as seen from the page. The server is the only clock;
// the page estimates its offset from the server_time_ms every state and
// tick carries, and renders countdowns locally.
//
// A message stamped at server time S arrives at local time L >= S + offset,
// so S - L is the offset minus that message's delay. The largest sample seen
// is therefore the least delayed one: taking the maximum means a late tick
// (a larger delay) never moves the estimate, and the countdown never jumps
// back up because of one. Local time is performance.timeOrigin +
// performance.now(): monotonic, so a wall-clock adjustment on the user's
// machine does not move it either.

const localNow = () => performance.timeOrigin + performance.now();

export class ServerClock {
  #offsetMs = null;

  /** Feeds one server timestamp (Unix ms), taken as received just now. */
  sample(serverTimeMs) {
    const s = Number(serverTimeMs);
    if (!Number.isFinite(s) || s <= 0) return;
    const offset = s - localNow();
    if (this.#offsetMs === null || offset > this.#offsetMs) this.#offsetMs = offset;
  }

  /** Forgets the estimate: a new connection may reach another server. */
  reset() {
    this.#offsetMs = null;
  }

  get known() {
    return this.#offsetMs !== null;
  }

  /** Estimated server time now, Unix ms. */
  now() {
    return localNow() + (this.#offsetMs ?? 0);
  }
}

/**
 * Remaining time for a RoomClock (canonical JSON: int64 as strings, defaults
 * omitted), never shown going up for the same phase and deadline.
 */
export class Countdown {
  #key = '';
  #lastShownMs = Infinity;

  remainingMs(clock, serverClock) {
    if (!clock) return null;
    const deadline = Number(clock.deadlineMs ?? 0);
    const remaining = Number(clock.remainingMs ?? 0);
    if (!deadline && !remaining) return null;
    const key = `${clock.stage}|${clock.phaseId ?? ''}|${deadline}|${clock.paused ? 'p' : ''}`;
    if (key !== this.#key) {
      this.#key = key;
      this.#lastShownMs = Infinity;
    }
    const ms = clock.paused || !deadline ? remaining : Math.max(0, deadline - serverClock.now());
    this.#lastShownMs = Math.min(this.#lastShownMs, ms);
    return this.#lastShownMs;
  }
}
