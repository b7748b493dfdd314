// The room's call: audio (and video when the camera is on) between room
// members over WebRTC, signalled through the room's WebSocket (call.proto,
// docs/call.md). A full mesh: one RTCPeerConnection per other member when
// either of the two speaks. Negotiation follows the "perfect negotiation"
// pattern: both sides offer when they need to, and on a collision the
// polite peer (the one whose participant id sorts first) gives way.
//
// The panel outlives a rebuild of the room view (the hot seat moving): the
// room view re-attaches `el` wherever its layout puts it.
import { h, fill, roleName } from './dom.js';

// Who is speaking, from the audio energy WebRTC's stats count (RFC 6464
// levels): the mean level over each interval, so a short word is not
// missed between two samples. 0.01 is about -40 dBFS, above room noise.
const SPEAKING_LEVEL = 0.01;
const LEVEL_EVERY_MS = 250;
const SPEAKING_HOLD_MS = 700; // keeps the indicator steady between words

const descriptionType = {
  offer: 'TYPE_OFFER',
  answer: 'TYPE_ANSWER',
  pranswer: 'TYPE_PRANSWER',
  rollback: 'TYPE_ROLLBACK',
};
const fromWireType = Object.fromEntries(Object.entries(descriptionType).map(([k, v]) => [v, k]));

class Peer {
  constructor(panel, remoteId) {
    this.panel = panel;
    this.remoteId = remoteId;
    this.polite = panel.selfId() < remoteId;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.stream = new MediaStream();
    this.pc = new RTCPeerConnection(panel.rtcConfig());
    this.pc.onnegotiationneeded = () => this.negotiate();
    this.pc.onicecandidate = ({ candidate }) => {
      // End of candidates needs no message: ICE completes without it.
      if (!candidate?.candidate) return;
      this.send({
        candidate: {
          candidate: candidate.candidate,
          sdpMid: candidate.sdpMid ?? '',
          sdpMlineIndex: candidate.sdpMLineIndex ?? 0,
          usernameFragment: candidate.usernameFragment ?? '',
        },
      });
    };
    this.pc.ontrack = ({ track }) => {
      this.stream.addTrack(track);
      track.onended = () => this.stream.removeTrack(track);
      panel.renderMedia();
    };
    this.pc.onconnectionstatechange = () => panel.renderMembers();
  }

  send(payload) {
    this.panel.deps.signal({ rtcSignal: { toParticipantId: this.remoteId, ...payload } }).catch((err) => {
      // The peer left meanwhile: its CallState is on the way.
      if (err.code !== 'ERROR_CODE_NOT_FOUND') console.warn('signal refused:', err.code, err.message);
    });
  }

  async negotiate() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const d = this.pc.localDescription;
      this.send({ description: { type: descriptionType[d.type], sdp: d.sdp } });
    } catch (err) {
      console.warn('negotiation failed:', err);
    } finally {
      this.makingOffer = false;
    }
  }

  async onSignal(sig) {
    const pc = this.pc;
    try {
      if (sig.description) {
        const d = { type: fromWireType[sig.description.type], sdp: sig.description.sdp ?? '' };
        if (!d.type) return;
        const collision = d.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
        this.ignoreOffer = !this.polite && collision;
        if (this.ignoreOffer) return;
        await pc.setRemoteDescription(d); // rolls back our own offer when polite
        if (d.type === 'offer') {
          await pc.setLocalDescription();
          const a = pc.localDescription;
          this.send({ description: { type: descriptionType[a.type], sdp: a.sdp } });
        }
      } else if (sig.candidate?.candidate) {
        const c = sig.candidate;
        try {
          await pc.addIceCandidate({
            candidate: c.candidate,
            sdpMid: c.sdpMid || null,
            sdpMLineIndex: c.sdpMlineIndex ?? 0,
            usernameFragment: c.usernameFragment || null,
          });
        } catch (err) {
          if (!this.ignoreOffer) throw err;
        }
      }
    } catch (err) {
      console.warn('signal from', this.remoteId, 'failed:', err);
    }
  }

  // What we publish follows the local tracks: add, replace or remove senders.
  syncTracks(tracks) {
    const senders = this.pc.getSenders();
    for (const kind of ['audio', 'video']) {
      const track = tracks.find((t) => t.kind === kind) ?? null;
      const sender = senders.find((s) => s.track?.kind === kind || s.kindHint === kind);
      if (track && !sender) {
        const s = this.pc.addTrack(track, this.panel.local);
        s.kindHint = kind;
      } else if (track && sender && sender.track !== track) {
        sender.replaceTrack(track);
      } else if (!track && sender) {
        this.pc.removeTrack(sender);
        sender.kindHint = null;
      }
    }
  }

  close() {
    this.pc.close();
    for (const t of this.stream.getTracks()) t.stop?.();
  }
}

export class CallPanel {
  /**
   * deps: send(msg) -> reply|null (requests), signal(msg) -> Promise,
   * selfId() -> participant id, showError(code, text).
   */
  constructor(deps) {
    this.deps = deps;
    this.joined = false;
    this.joining = false;
    this.speaker = false;
    this.muted = false;
    this.video = false;
    this.local = null; // MediaStream of our microphone (and camera)
    this.config = null; // CallJoined
    this.members = []; // CallState.members
    this.peers = new Map(); // participant id -> Peer
    this.levels = new Map(); // participant id -> {energy, duration, loudAt}
    this.speaking = new Set();
    this.devices = [];

    this.ui = {};
    const u = this.ui;
    u.status = h('p', { class: 'call-status', 'aria-live': 'polite' });
    u.join = h('button', { type: 'button', id: 'call-join', text: 'Join the call', on: { click: () => this.join() } });
    u.leave = h('button', { type: 'button', id: 'call-leave', class: 'secondary', text: 'Leave the call', on: { click: () => this.leave() } });
    u.mute = h('button', { type: 'button', id: 'call-mute', class: 'secondary', 'aria-pressed': 'false', text: 'Mute', on: { click: () => this.setMuted(!this.muted) } });
    u.camera = h('button', { type: 'button', id: 'call-camera', class: 'secondary', 'aria-pressed': 'false', text: 'Camera on', on: { click: () => this.setVideo(!this.video) } });
    u.mic = h('select', { id: 'call-mic', 'aria-label': 'Microphone', on: { change: () => this.useMicrophone(u.mic.value) } });
    u.micLabel = h('label', { class: 'call-device' }, h('span', { text: 'Microphone ' }), u.mic);
    u.members = h('ul', { class: 'call-members', id: 'call-members' });
    u.media = h('div', { class: 'call-media' });
    this.el = h(
      'section',
      { id: 'sec-call', class: 'panel call no-print', 'aria-labelledby': 'sec-call-h' },
      h('h3', { id: 'sec-call-h', text: 'Call' }),
      u.status,
      h('div', { class: 'call-controls', role: 'toolbar', 'aria-label': 'Call controls' }, u.join, u.leave, u.mute, u.camera),
      u.micLabel,
      u.members,
      u.media,
    );
    this.levelTimer = setInterval(() => this.measure(), LEVEL_EVERY_MS);
    this.render();
  }

  rtcConfig() {
    const c = this.config ?? {};
    return {
      iceServers: (c.iceServers ?? []).map((s) => ({ urls: s.urls, username: s.username || undefined, credential: s.credential || undefined })),
      iceTransportPolicy: c.relayOnly ? 'relay' : 'all',
    };
  }

  selfId() {
    return this.deps.selfId();
  }

  // ---------------------------------------------------------------- joining

  async join() {
    if (this.joined || this.joining) return;
    this.joining = true;
    this.render();
    const reply = await this.deps.send({ joinCall: { muted: this.muted, video: false } });
    this.joining = false;
    if (!reply?.callJoined) return this.render();
    this.config = reply.callJoined;
    this.speaker = Boolean(this.config.speaker);
    this.joined = true;
    if (this.speaker) await this.openMicrophone();
    this.applyState();
  }

  async openMicrophone(deviceId = '') {
    try {
      const audio = deviceId ? { deviceId: { exact: deviceId } } : true;
      const stream = await navigator.mediaDevices.getUserMedia({ audio, video: false });
      const track = stream.getAudioTracks()[0];
      track.enabled = !this.muted;
      if (!this.local) this.local = new MediaStream();
      for (const old of this.local.getAudioTracks()) {
        this.local.removeTrack(old);
        old.stop();
      }
      this.local.addTrack(track);
      await this.listDevices();
    } catch (err) {
      this.deps.showError('CLIENT_NO_MICROPHONE', `No microphone: ${err.message || err.name}. You can still listen.`);
    }
    for (const p of this.peers.values()) p.syncTracks(this.localTracks());
  }

  async listDevices() {
    const all = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    this.devices = all.filter((d) => d.kind === 'audioinput');
    const current = this.local?.getAudioTracks()[0]?.getSettings?.().deviceId ?? '';
    fill(this.ui.mic, this.devices.map((d, i) =>
      h('option', { value: d.deviceId, text: d.label || `Microphone ${i + 1}`, selected: d.deviceId === current })));
    this.render();
  }

  useMicrophone(deviceId) {
    if (this.joined && this.speaker) this.openMicrophone(deviceId);
  }

  localTracks() {
    return this.speaker && this.local ? this.local.getTracks() : [];
  }

  async leave() {
    if (!this.joined) return;
    this.joined = false;
    this.teardown();
    this.render();
    await this.deps.send({ leaveCall: {} });
  }

  // The connection dropped: the server ended our place in the call.
  onDisconnected() {
    if (!this.joined) return;
    this.rejoin = true;
    this.joined = false;
    this.teardown();
    this.render();
  }

  // Back in the room after a resume: take our place again.
  onRejoined() {
    if (!this.rejoin) return;
    this.rejoin = false;
    this.join();
  }

  teardown() {
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    for (const t of this.local?.getTracks() ?? []) t.stop();
    this.local = null;
    this.video = false;
    this.levels.clear();
    this.speaking.clear();
    this.renderMedia();
  }

  dispose() {
    clearInterval(this.levelTimer);
    this.teardown();
  }

  // ---------------------------------------------------------------- controls

  setMuted(muted) {
    this.muted = muted;
    for (const t of this.local?.getAudioTracks() ?? []) t.enabled = !muted;
    if (this.joined) this.deps.send({ callUpdate: { muted, video: this.video } });
    this.render();
  }

  async setVideo(on) {
    if (!this.joined || !this.speaker) return;
    if (on) {
      try {
        const cam = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 } });
        if (!this.local) this.local = new MediaStream();
        this.local.addTrack(cam.getVideoTracks()[0]);
      } catch (err) {
        return this.deps.showError('CLIENT_NO_CAMERA', `No camera: ${err.message || err.name}.`);
      }
    } else {
      for (const t of this.local?.getVideoTracks() ?? []) {
        this.local.removeTrack(t);
        t.stop();
      }
    }
    this.video = on;
    for (const p of this.peers.values()) p.syncTracks(this.localTracks());
    this.deps.send({ callUpdate: { muted: this.muted, video: on } });
    this.renderMedia();
    this.render();
  }

  // ---------------------------------------------------------------- pushes

  onCallState(state) {
    this.members = state.members ?? [];
    this.applyState();
  }

  onSignal(sig) {
    if (!this.joined) return;
    const from = sig.fromParticipantId;
    if (!from) return;
    // A signal may come before the CallState that names its sender.
    let peer = this.peers.get(from);
    if (!peer) {
      peer = new Peer(this, from);
      peer.syncTracks(this.localTracks());
      this.peers.set(from, peer);
    }
    peer.onSignal(sig);
  }

  // One peer connection per other member when either of us speaks.
  applyState() {
    if (this.joined) {
      const me = this.members.find((m) => m.participantId === this.selfId());
      if (me && Boolean(me.speaker) !== this.speaker) {
        // The hot seat moved: start or stop publishing.
        this.speaker = Boolean(me.speaker);
        if (this.speaker && !this.local) this.openMicrophone();
        if (!this.speaker) for (const t of this.local?.getTracks() ?? []) t.stop();
        if (!this.speaker) this.local = null;
      }
      const want = new Set(
        this.members
          .filter((m) => m.participantId !== this.selfId() && (this.speaker || m.speaker))
          .map((m) => m.participantId),
      );
      for (const [id, p] of this.peers)
        if (!want.has(id)) {
          p.close();
          this.peers.delete(id);
        }
      for (const id of want) {
        if (!this.peers.has(id)) this.peers.set(id, new Peer(this, id));
        this.peers.get(id).syncTracks(this.localTracks());
      }
    }
    this.renderMedia();
    this.render();
  }

  // ---------------------------------------------------------------- levels

  async measure() {
    if (this.measuring || !this.peers.size) return;
    this.measuring = true;
    try {
      const now = performance.now();
      const seen = new Map(); // participant id -> [energy, duration]
      for (const [id, p] of this.peers) {
        const stats = await p.pc.getStats();
        stats.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'audio') seen.set(id, [r.totalAudioEnergy ?? 0, r.totalSamplesDuration ?? 0]);
          // Our own microphone, as the first peer connection sends it.
          if (r.type === 'media-source' && r.kind === 'audio' && !seen.has(this.selfId()))
            seen.set(this.selfId(), [r.totalAudioEnergy ?? 0, r.totalSamplesDuration ?? 0]);
        });
      }
      const speaking = new Set();
      for (const [id, [energy, duration]] of seen) {
        const last = this.levels.get(id) ?? { energy, duration, loudAt: -Infinity };
        const dt = duration - last.duration;
        const level = dt > 0 ? Math.sqrt(Math.max(0, energy - last.energy) / dt) : 0;
        const muted = id === this.selfId() ? this.muted : this.members.find((x) => x.participantId === id)?.muted;
        const loudAt = level > SPEAKING_LEVEL && !muted ? now : last.loudAt;
        this.levels.set(id, { energy, duration, loudAt });
        if (now - loudAt < SPEAKING_HOLD_MS) speaking.add(id);
      }
      const changed = speaking.size !== this.speaking.size || [...speaking].some((id) => !this.speaking.has(id));
      this.speaking = speaking;
      if (changed) this.renderMembers();
    } catch {
      // A peer closed mid-read: the next round of stats has it right.
    } finally {
      this.measuring = false;
    }
  }

  /** Bytes of audio received over all peer connections (for tests and the status line). */
  async inboundAudioBytes() {
    let total = 0;
    for (const p of this.peers.values()) {
      const stats = await p.pc.getStats();
      stats.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') total += r.bytesReceived ?? 0;
      });
    }
    return total;
  }

  // ---------------------------------------------------------------- render

  render() {
    const u = this.ui;
    const inCall = this.members.length;
    u.join.hidden = this.joined || this.joining;
    u.leave.hidden = !this.joined;
    u.mute.hidden = !this.joined || !this.speaker;
    u.mute.textContent = this.muted ? 'Unmute' : 'Mute';
    u.mute.setAttribute('aria-pressed', String(this.muted));
    u.camera.hidden = !this.joined || !this.speaker;
    u.camera.textContent = this.video ? 'Camera off' : 'Camera on';
    u.camera.setAttribute('aria-pressed', String(this.video));
    u.micLabel.hidden = !this.joined || !this.speaker || this.devices.length < 1;
    u.status.textContent = this.joined
      ? this.speaker
        ? `In the call${this.muted ? ', muted' : ''}.`
        : 'In the call as a listener: the candidate and coach speak, observers listen.'
      : this.joining
        ? 'Joining the call…'
        : inCall
          ? `${inCall} in the call.`
          : 'Nobody is in the call yet.';
    this.renderMembers();
  }

  renderMembers() {
    fill(
      this.ui.members,
      this.members.map((m) => {
        const me = m.participantId === this.selfId();
        const peer = this.peers.get(m.participantId);
        const state = me ? '' : peer ? peer.pc.connectionState : '';
        const speaking = this.speaking.has(m.participantId);
        const bits = [roleName(m.role)];
        if (!m.speaker) bits.push('listening');
        else if (m.muted) bits.push('muted');
        if (m.video) bits.push('camera on');
        if (state && state !== 'connected') bits.push(state);
        return h(
          'li',
          { class: `call-member${speaking ? ' speaking' : ''}`, dataset: { participant: m.participantId, speaking: String(speaking), connection: state } },
          h('span', { class: 'call-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'call-name', text: `${m.displayName || 'Someone'}${me ? ' (you)' : ''}` }),
          h('span', { class: 'muted', text: ` · ${bits.join(' · ')}` }),
          speaking ? h('span', { class: 'visually-hidden', text: ' (speaking)' }) : null,
        );
      }),
    );
  }

  // Remote audio plays through <audio>; video, when on, through <video>.
  renderMedia() {
    const keep = new Set();
    for (const [id, p] of this.peers) {
      keep.add(id);
      let el = this.ui.media.querySelector(`[data-peer="${CSS.escape(id)}"]`);
      const wantVideo = p.stream.getVideoTracks().length > 0;
      if (el && (el.tagName === 'VIDEO') !== wantVideo) {
        el.remove();
        el = null;
      }
      if (!el) {
        el = h(wantVideo ? 'video' : 'audio', { autoplay: true, playsinline: true, dataset: { peer: id } });
        this.ui.media.append(el);
      }
      if (el.srcObject !== p.stream) el.srcObject = p.stream;
    }
    for (const el of [...this.ui.media.children]) if (!keep.has(el.dataset.peer)) el.remove();
  }
}
