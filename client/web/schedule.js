// Scheduled mocks on the start screen: the booking form, this user's
// bookings (own and partner's local times, status, check-in, cancel), the
// reliability line and the calendar links. The server decides everything
// (pairing, windows, reliability; docs/schedule.md); this view sends the
// four requests and draws the Bookings it gets back, and each pushed
// BookingUpdate or BookingReminder.
import { $, h, fill, renderIfChanged, num, ROUND_TYPES, LEVELS, roundTypeName, levelName } from './dom.js';

// The server's default slot grid (schedule_slot_seconds): the form snaps
// to it so a local time in a zone with a 45-minute offset still books; a
// server on another grid says so with a typed error on the field.
const SLOT_MS = 30 * 60_000;
// Buttons follow the check-in window without a push: redrawn this often.
const REDRAW_MS = 5_000;

const STATUS = {
  BOOKING_STATUS_PENDING: ['Waiting for a partner', 'pending'],
  BOOKING_STATUS_PAIRED: ['Paired', 'paired'],
  BOOKING_STATUS_STARTED: ['Started', 'started'],
  BOOKING_STATUS_CANCELLED: ['Cancelled', 'cancelled'],
  BOOKING_STATUS_LATE_CANCELLED: ['Cancelled late', 'late-cancelled'],
  BOOKING_STATUS_NO_SHOW: ['Missed (no check-in)', 'no-show'],
  BOOKING_STATUS_PARTNER_NO_SHOW: ['Your partner did not come', 'partner-no-show'],
  BOOKING_STATUS_UNMATCHED: ['Nobody else booked it', 'unmatched'],
};
const OPEN = new Set(['BOOKING_STATUS_PENDING', 'BOOKING_STATUS_PAIRED']);

/** The browser's IANA zone, or UTC when it will not say. */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A Date as the value of a datetime-local input, in this browser's zone. */
function localInputValue(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "2026-12-08T09:30" (local) -> Unix ms on the slot grid, or NaN. */
export function slotFromInput(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value ?? '')) return NaN;
  const ms = new Date(value).getTime(); // no zone suffix: the browser's local time
  return Number.isFinite(ms) ? Math.round(ms / SLOT_MS) * SLOT_MS : NaN;
}

export class ScheduleView {
  /** deps: send(msg, opts), now() (server time, ms), showError, showBanner, userName() */
  constructor(deps) {
    this.deps = deps;
    this.bookings = [];
    this.reliability = null;
    this.calendarPath = '';
    this.zone = browserZone();
    this.busy = new Set(); // booking ids with a request out

    $('slot-zone').textContent = this.zone.replace(/_/g, ' ');
    fill($('slot-round-type'), ROUND_TYPES.map(([v, label]) => h('option', { value: v, text: label })));
    fill($('slot-level'), LEVELS.map(([v, label]) => h('option', { value: v, text: label, selected: v === 'LEVEL_L5' })));
    this.resetStart();
    $('schedule-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.book();
    });
    setInterval(() => this.render(), REDRAW_MS);
  }

  /** The form starts a day ahead, on the next half hour. */
  resetStart() {
    const next = Math.ceil((this.deps.now() + 24 * 3_600_000) / SLOT_MS) * SLOT_MS;
    $('slot-start').value = localInputValue(next);
  }

  fieldError(text) {
    const input = $('slot-start');
    $('slot-start-error').textContent = text;
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  async refresh() {
    const reply = await this.deps.send({ listBookings: {} }, { quiet: true }).catch(() => null);
    if (reply?.bookings) this.onBookings(reply.bookings);
  }

  async book() {
    this.fieldError('');
    const startMs = slotFromInput($('slot-start').value);
    if (!Number.isFinite(startMs)) {
      this.fieldError('Enter a date and a time.');
      return $('slot-start').focus();
    }
    const button = $('book-slot');
    button.disabled = true;
    try {
      const reply = await this.deps.send(
        {
          bookSlot: {
            startMs: String(startMs),
            timeZone: this.zone,
            rounds: [$('slot-round-type').value],
            level: $('slot-level').value,
            language: 'en',
          },
        },
        { quiet: true },
      );
      if (!reply?.bookings) return; // not connected: send() said so
      this.onBookings(reply.bookings);
      const mine = this.bookings.find((b) => b.bookingId === reply.bookings.bookedId);
      const paired = mine?.status === 'BOOKING_STATUS_PAIRED';
      this.deps.showBanner(
        paired
          ? `Booked ${mine.localStart}: paired with ${mine.partnerName || 'a partner'}.`
          : `Booked ${mine?.localStart ?? 'that slot'}. You will be paired when someone else books it.`,
        { dismissable: true, kind: 'ok' },
      );
    } catch (err) {
      // Times and double bookings belong to the field; the rest is general.
      if (err.field === 'startMs' || err.code === 'ERROR_CODE_FAILED_PRECONDITION') this.fieldError(err.message);
      else this.deps.showError(err.code, err.message, err.field);
      $('slot-start').focus();
    } finally {
      button.disabled = false;
    }
  }

  async act(booking, msg, doneText) {
    this.busy.add(booking.bookingId);
    this.render();
    try {
      const reply = await this.deps.send(msg, { quiet: true });
      if (reply?.bookings) this.onBookings(reply.bookings);
      if (doneText) this.deps.showBanner(doneText, { dismissable: true, kind: 'ok' });
    } catch (err) {
      this.deps.showError(err.code, err.message, err.field);
    } finally {
      this.busy.delete(booking.bookingId);
      this.render();
    }
  }

  checkIn(b) {
    return this.act(b, { checkIn: { bookingId: b.bookingId } },
      b.partnerCheckedIn ? '' : 'Checked in. The mock starts as soon as your partner checks in too.');
  }

  cancel(b) {
    return this.act(b, { cancelBooking: { bookingId: b.bookingId } }, `Cancelled your mock of ${b.localStart}.`);
  }

  onBookings(list) {
    this.bookings = list.bookings ?? [];
    this.reliability = list.reliability ?? {};
    this.calendarPath = list.calendarPath ?? '';
    this.render();
  }

  /** A booking changed (pushed): replace it, say why. */
  onUpdate(u) {
    this.upsert(u.booking);
    if (u.reason) this.deps.showBanner(`${u.booking?.localStart ?? 'Your booking'}: ${u.reason}`, { dismissable: true, kind: 'ok' });
  }

  onReminder(r) {
    this.upsert(r.booking);
    const b = r.booking ?? {};
    const minutes = num(r.minutesBefore);
    const when = minutes >= 1440 ? 'tomorrow' : minutes >= 60 ? `in ${Math.round(minutes / 60)} hour${minutes >= 120 ? 's' : ''}` : `in ${minutes} minutes`;
    const withWhom = b.partnerName ? ` with ${b.partnerName}` : '';
    const checkIn = this.deps.now() >= num(b.checkInOpensMs) ? ' Check-in is open.' : '';
    this.deps.showBanner(`Reminder: your mock${withWhom} starts ${when} (${b.localStart}).${checkIn}`, { dismissable: true, kind: 'ok' });
  }

  upsert(b) {
    if (!b?.bookingId) return;
    const i = this.bookings.findIndex((x) => x.bookingId === b.bookingId);
    if (i >= 0) this.bookings[i] = b;
    else this.bookings.unshift(b);
    this.render();
  }

  render() {
    const now = this.deps.now();
    const rows = this.bookings.map((b) => ({ b, state: this.rowState(b, now) }));
    $('bookings-empty').hidden = rows.length > 0;
    this.renderReliability(now);
    this.renderCalendar();
    renderIfChanged($('booking-list'), rows.map(({ b, state }) => [b, state]), () => rows.map(({ b, state }) => this.row(b, state)));
  }

  rowState(b, now) {
    const open = OPEN.has(b.status);
    const inWindow = now >= num(b.checkInOpensMs) && now <= num(b.checkInClosesMs);
    return {
      busy: this.busy.has(b.bookingId),
      canCheckIn: open && inWindow && !b.checkedIn,
      waitingForWindow: open && now < num(b.checkInOpensMs),
    };
  }

  row(b, state) {
    const [statusText, statusKey] = STATUS[b.status] ?? ['Unknown', 'unknown'];
    const open = OPEN.has(b.status);
    const what = [(b.rounds ?? []).map(roundTypeName).join(', '), levelName(b.level)].filter(Boolean).join(' · ');
    let note = '';
    if (open && b.checkedIn) note = b.partnerCheckedIn ? 'Both checked in: starting…' : 'You are checked in; waiting for your partner.';
    else if (open && b.partnerCheckedIn) note = 'Your partner has checked in.';
    else if (state.waitingForWindow) note = `Check-in opens ${new Date(num(b.checkInOpensMs)).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}.`;
    const partner = b.partnerName
      ? h('p', { class: 'booking-partner' }, 'With ', h('strong', { text: b.partnerName }),
          b.partnerLocalStart ? h('span', { class: 'muted', text: ` — their time: ${b.partnerLocalStart}` }) : '')
      : null;
    const actions = h('div', { class: 'booking-actions' });
    if (open) {
      actions.append(
        h('button', {
          type: 'button',
          class: 'small',
          text: b.checkedIn ? 'Checked in' : 'Check in',
          disabled: !state.canCheckIn || state.busy,
          'aria-label': `Check in for your mock of ${b.localStart}`,
          on: { click: () => this.checkIn(b) },
        }),
        h('button', {
          type: 'button',
          class: 'secondary small',
          text: 'Cancel',
          disabled: state.busy,
          'aria-label': `Cancel your mock of ${b.localStart}`,
          on: { click: () => this.cancel(b) },
        }),
      );
    }
    if (this.calendarPath) {
      const one = this.calendarPath.replace(/\.ics$/, `/${encodeURIComponent(b.bookingId)}.ics`);
      // A closed booking's file is its cancellation (METHOD:CANCEL): it takes the event off.
      const text = open ? 'Add to calendar' : 'Update your calendar';
      actions.append(h('a', { href: one, download: `mockloop-${b.bookingId}.ics`, class: 'small', text }));
    }
    return h('li', { class: 'booking', dataset: { bookingId: b.bookingId, status: statusKey } },
      h('p', { class: 'booking-when' }, h('strong', { text: b.localStart }), h('span', { class: `badge status-${statusKey}`, text: statusText })),
      h('p', { class: 'muted', text: what }),
      partner,
      note ? h('p', { class: 'booking-note', text: note }) : null,
      actions);
  }

  renderReliability(now) {
    const r = this.reliability;
    const el = $('reliability');
    if (!r) return void (el.textContent = '');
    const counted = num(r.counted);
    const parts = [
      counted
        ? `Attendance ${num(r.percent)}%: ${num(r.attended)} of your last ${counted} booked sessions`
        : 'Attendance: nothing counted yet (each booked session that starts or is missed counts)',
    ];
    if (num(r.lateCancels)) parts.push(`${num(r.lateCancels)} late cancel${num(r.lateCancels) > 1 ? 's' : ''}`);
    if (num(r.noShows)) parts.push(`${num(r.noShows)} no-show${num(r.noShows) > 1 ? 's' : ''}`);
    const blocked = num(r.blockedUntilMs);
    let text = parts.join(' · ') + '.';
    if (blocked > now)
      text += ` After two no-shows in a row, booking opens again ${new Date(blocked).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}; the live queue stays open.`;
    el.textContent = text;
    el.dataset.blocked = blocked > now ? 'true' : 'false';
  }

  renderCalendar() {
    const box = $('calendar-links');
    box.hidden = !this.calendarPath;
    if (!this.calendarPath) return;
    $('calendar-download').href = this.calendarPath;
    // webcal:// is http(s) by another name: calendar apps subscribe and poll.
    $('calendar-subscribe').href = `webcal://${location.host}${this.calendarPath}`;
  }
}
