// The room's shared board (board.proto, docs/board.md): boxes, arrows and
// labels on a 4000 x 3000 canvas, drawn as SVG. The server orders every op;
// this page applies what it echoes (BoardUpdate), so every page shows the
// same board. Only a drag is shown ahead of the echo, and it is sent once,
// on drop: one op per move keeps the room's log short.
import { h, fill } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 4000;
const HEIGHT = 3000;
const MAX_TEXT = 200;
const BOX_W = 320;
const BOX_H = 120;
// The part of the canvas in view: this much at least (so a box is legible
// at a page's width), grown to take in whatever is drawn beyond it.
const VIEW_W = 2000;
const VIEW_H = 1500;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

const clampText = (t) => {
  const bytes = new TextEncoder().encode(t);
  if (bytes.length <= MAX_TEXT) return t;
  return new TextDecoder().decode(bytes.slice(0, MAX_TEXT)).replace(/\uFFFD$/, '');
};

export class BoardPanel {
  /** deps: send(msg) -> reply|null, selfId() -> participant id. */
  constructor(deps) {
    this.deps = deps;
    this.objects = new Map(); // id -> BoardObject, in creation order
    this.seq = 0;
    this.round = 0;
    this.editable = false;
    this.mode = 'select'; // select | box | label | arrow
    this.selected = '';
    this.arrowFrom = '';
    this.drag = null;
    this.counter = 0;
    this.view = { x: 0, y: 0, w: VIEW_W, h: VIEW_H };
    this.idBase = `b${Math.random().toString(36).slice(2, 8)}`;

    const u = (this.ui = {});
    u.status = h('p', { class: 'board-status hint', 'aria-live': 'polite' });
    const tool = (mode, text, title) =>
      h('button', {
        type: 'button',
        class: 'secondary small board-tool',
        text,
        title,
        'aria-pressed': 'false',
        dataset: { tool: mode },
        on: { click: () => this.setMode(mode) },
      });
    u.tools = ['select', 'box', 'arrow', 'label'].map((m) =>
      tool(m, { select: 'Select / move', box: 'Box', arrow: 'Arrow', label: 'Label' }[m], {
        select: 'Click an object to select it; drag to move it',
        box: 'Click the board to place a box named with the text below',
        arrow: 'Click one object, then another, to connect them',
        label: 'Click the board to place the text below',
      }[m]));
    u.text = h('input', { type: 'text', id: 'board-text', maxlength: MAX_TEXT, placeholder: 'Text for a new box, label or arrow', 'aria-label': 'Board text' });
    u.rename = h('button', { type: 'button', class: 'secondary small', id: 'board-rename', text: 'Rename', on: { click: () => this.renameSelected() } });
    u.remove = h('button', { type: 'button', class: 'secondary small', id: 'board-delete', text: 'Delete', on: { click: () => this.removeSelected() } });
    u.toolbar = h('div', { class: 'board-toolbar no-print', role: 'toolbar', 'aria-label': 'Board tools' }, u.tools, u.text, u.rename, u.remove);
    u.layer = s('g', { class: 'board-objects' });
    u.svg = s(
      'svg',
      { id: 'board-canvas', class: 'board-canvas', viewBox: `0 0 ${VIEW_W} ${VIEW_H}`, role: 'img', 'aria-label': 'The shared board' },
      s('defs', {}, s('marker', { id: 'board-head', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0L10,5L0,10z', fill: '#334' }))),
      s('rect', { class: 'board-bg', x: 0, y: 0, width: WIDTH, height: HEIGHT, fill: '#fff' }),
      u.layer,
    );
    u.list = h('ul', { class: 'board-list visually-hidden', 'aria-label': 'What is on the board' });
    this.el = h(
      'section',
      { id: 'sec-board', class: 'panel board', 'aria-labelledby': 'sec-board-h' },
      h('h3', { id: 'sec-board-h', text: 'Board' }),
      u.status,
      u.toolbar,
      u.svg,
      u.list,
    );
    u.svg.addEventListener('pointerdown', (ev) => this.onPointerDown(ev));
    u.svg.addEventListener('pointermove', (ev) => this.onPointerMove(ev));
    u.svg.addEventListener('pointerup', (ev) => this.onPointerUp(ev));
    u.svg.addEventListener('keydown', (ev) => {
      if ((ev.key === 'Delete' || ev.key === 'Backspace') && this.selected) this.removeSelected();
    });
    u.svg.setAttribute('tabindex', '0');
    this.setMode('select');
    this.setEditable(false, 'The board opens when the interview starts.');
  }

  // ---------------------------------------------------------------- pushes

  onBoard(b) {
    this.objects = new Map((b.objects ?? []).map((o) => [o.id, { ...o }]));
    this.seq = Number(b.seq ?? 0);
    this.round = b.round ?? 0;
    if (!this.objects.has(this.selected)) this.selected = '';
    this.render();
  }

  onUpdate(u) {
    if ((u.round ?? 0) !== this.round) return; // a new round's Board follows
    for (const op of u.ops ?? []) {
      const seq = Number(op.seq ?? 0);
      if (seq <= this.seq) continue;
      this.seq = seq;
      if (op.remove) {
        this.objects.delete(op.objectId);
        if (this.selected === op.objectId) this.selected = '';
        continue;
      }
      const p = op.put ?? {};
      const o = this.objects.get(op.objectId) ?? { id: op.objectId, shape: p.shape, createdBy: op.byParticipantId };
      for (const k of ['x', 'y', 'w', 'h', 'text', 'fromId', 'toId']) if (p[k] !== undefined) o[k] = p[k];
      this.objects.set(op.objectId, o);
    }
    this.render();
  }

  /** Whether this participant may draw now, and why not. */
  setEditable(editable, why = '') {
    this.editable = editable;
    this.ui.toolbar.hidden = !editable;
    this.ui.status.textContent = editable
      ? 'Draw together: pick a tool, then click the board. Everyone in the room sees each change.'
      : why;
    this.el.classList.toggle('editable', editable);
    if (!editable) this.drag = null;
  }

  // ---------------------------------------------------------------- editing

  setMode(mode) {
    this.mode = mode;
    this.arrowFrom = '';
    for (const b of this.ui.tools) b.setAttribute('aria-pressed', String(b.dataset.tool === mode));
    this.render();
  }

  nextId() {
    this.counter += 1;
    return `${this.idBase}-${this.counter}`;
  }

  text(fallback) {
    return clampText(this.ui.text.value.trim() || fallback);
  }

  put(objectId, put) {
    return this.deps.send({ boardOp: { objectId, put } });
  }

  point(ev) {
    const r = this.ui.svg.getBoundingClientRect();
    const v = this.view;
    return {
      x: Math.round(v.x + ((ev.clientX - r.left) / r.width) * v.w),
      y: Math.round(v.y + ((ev.clientY - r.top) / r.height) * v.h),
    };
  }

  hit(ev) {
    return ev.target.closest?.('[data-object]')?.dataset.object ?? '';
  }

  onPointerDown(ev) {
    if (!this.editable) return;
    const id = this.hit(ev);
    const at = this.point(ev);
    const clamp = (v, max) => Math.max(0, Math.min(max, v));
    if (this.mode === 'box' && !id) {
      this.put(this.nextId(), { shape: 'BOARD_SHAPE_BOX', x: clamp(at.x - BOX_W / 2, WIDTH), y: clamp(at.y - BOX_H / 2, HEIGHT), w: BOX_W, h: BOX_H, text: this.text('Component') });
      return;
    }
    if (this.mode === 'label' && !id) {
      this.put(this.nextId(), { shape: 'BOARD_SHAPE_LABEL', x: clamp(at.x, WIDTH), y: clamp(at.y, HEIGHT), text: this.text('Note') });
      return;
    }
    if (this.mode === 'arrow') {
      const o = this.objects.get(id);
      if (!o || o.shape === 'BOARD_SHAPE_ARROW') return;
      if (!this.arrowFrom) {
        this.arrowFrom = id;
        return this.render();
      }
      if (this.arrowFrom !== id) {
        const text = this.ui.text.value.trim();
        this.put(this.nextId(), { shape: 'BOARD_SHAPE_ARROW', fromId: this.arrowFrom, toId: id, ...(text ? { text: clampText(text) } : {}) });
      }
      this.arrowFrom = '';
      return this.render();
    }
    // Select, and start a drag of a box or label.
    this.selected = id;
    const o = this.objects.get(id);
    if (o && o.shape !== 'BOARD_SHAPE_ARROW') {
      this.drag = { id, from: at, x0: o.x ?? 0, y0: o.y ?? 0, moved: false };
      this.ui.svg.setPointerCapture?.(ev.pointerId);
    }
    if (o) this.ui.text.value = o.text ?? '';
    this.render();
  }

  onPointerMove(ev) {
    const d = this.drag;
    if (!d) return;
    const at = this.point(ev);
    const o = this.objects.get(d.id);
    if (!o) return (this.drag = null);
    d.x = Math.max(0, Math.min(WIDTH, d.x0 + at.x - d.from.x));
    d.y = Math.max(0, Math.min(HEIGHT, d.y0 + at.y - d.from.y));
    d.moved = d.moved || Math.abs(at.x - d.from.x) + Math.abs(at.y - d.from.y) > 8;
    this.render();
  }

  onPointerUp() {
    const d = this.drag;
    this.drag = null;
    if (!d?.moved) return;
    this.put(d.id, { x: d.x, y: d.y });
    this.render();
  }

  renameSelected() {
    if (!this.selected) return;
    this.put(this.selected, { text: clampText(this.ui.text.value.trim()) });
  }

  removeSelected() {
    if (!this.selected) return;
    this.deps.send({ boardOp: { objectId: this.selected, remove: true } });
  }

  // ---------------------------------------------------------------- drawing

  // A box or label where it stands now (during a drag: where it is dragged).
  placed(o) {
    const d = this.drag;
    if (d && d.id === o.id && d.moved) return { ...o, x: d.x, y: d.y };
    return o;
  }

  render() {
    const layer = this.ui.layer;
    const objs = [...this.objects.values()].map((o) => this.placed(o));
    const byId = new Map(objs.map((o) => [o.id, o]));
    const centre = (o) => ({ x: (o.x ?? 0) + (o.w ?? 0) / 2, y: (o.y ?? 0) + (o.h ?? 0) / 2 });
    const edge = (o, toward) => {
      const c = centre(o);
      if (o.shape !== 'BOARD_SHAPE_BOX') return c;
      const dx = toward.x - c.x, dy = toward.y - c.y;
      if (!dx && !dy) return c;
      const t = Math.min(dx ? (o.w / 2) / Math.abs(dx) : Infinity, dy ? (o.h / 2) / Math.abs(dy) : Infinity, 1);
      return { x: c.x + dx * t, y: c.y + dy * t };
    };
    const nodes = [];
    for (const o of objs) {
      if (o.shape !== 'BOARD_SHAPE_ARROW') continue;
      const f = byId.get(o.fromId), t = byId.get(o.toId);
      if (!f || !t) continue;
      const a = edge(f, centre(t)), z = edge(t, centre(f));
      nodes.push(s('g', { 'data-object': o.id, class: `board-arrow${o.id === this.selected ? ' selected' : ''}` },
        s('line', { x1: a.x, y1: a.y, x2: z.x, y2: z.y, class: 'board-hit' }),
        s('line', { x1: a.x, y1: a.y, x2: z.x, y2: z.y, 'marker-end': 'url(#board-head)' }),
        o.text ? s('text', { x: (a.x + z.x) / 2, y: (a.y + z.y) / 2 - 12, 'text-anchor': 'middle' }, document.createTextNode(o.text)) : null));
    }
    for (const o of objs) {
      const cls = `${o.id === this.selected ? ' selected' : ''}${o.id === this.arrowFrom ? ' arrow-from' : ''}`;
      if (o.shape === 'BOARD_SHAPE_BOX') {
        nodes.push(s('g', { 'data-object': o.id, class: `board-box${cls}` },
          s('rect', { x: o.x, y: o.y, width: o.w, height: o.h, rx: 10 }),
          s('text', { x: o.x + o.w / 2, y: o.y + o.h / 2 + 10, 'text-anchor': 'middle' }, document.createTextNode(o.text ?? ''))));
      } else if (o.shape === 'BOARD_SHAPE_LABEL') {
        nodes.push(s('g', { 'data-object': o.id, class: `board-label${cls}` },
          s('text', { x: o.x, y: o.y }, document.createTextNode(o.text ?? ''))));
      }
    }
    layer.replaceChildren(...nodes);
    // Not while dragging: the ground must not move under the pointer.
    if (!this.drag) this.fitView(objs);
    // The same board as text, for screen readers.
    fill(this.ui.list, objs.map((o) => {
      if (o.shape === 'BOARD_SHAPE_ARROW')
        return h('li', { text: `${byId.get(o.fromId)?.text ?? o.fromId} to ${byId.get(o.toId)?.text ?? o.toId}${o.text ? `: ${o.text}` : ''}` });
      return h('li', { text: `${o.shape === 'BOARD_SHAPE_BOX' ? 'Box' : 'Label'}: ${o.text ?? ''}` });
    }));
    this.ui.rename.disabled = !this.selected;
    this.ui.remove.disabled = !this.selected;
  }

  // The view takes in everything drawn (4:3, like the canvas), never less
  // than VIEW_W x VIEW_H from the origin.
  fitView(objs) {
    let x1 = VIEW_W, y1 = VIEW_H;
    for (const o of objs) {
      if (o.shape === 'BOARD_SHAPE_ARROW') continue;
      x1 = Math.max(x1, (o.x ?? 0) + (o.w ?? 16 * (o.text ?? '').length) + 40);
      y1 = Math.max(y1, (o.y ?? 0) + (o.h ?? 0) + 40);
    }
    const w = Math.min(WIDTH, Math.max(x1, (y1 * 4) / 3));
    const v = { x: 0, y: 0, w, h: (w * 3) / 4 };
    if (v.w === this.view.w) return;
    this.view = v;
    this.ui.svg.setAttribute('viewBox', `0 0 ${v.w} ${v.h}`);
    this.ui.svg.querySelector('.board-bg').setAttribute('width', String(WIDTH));
  }

  dispose() {
    this.drag = null;
  }
}
