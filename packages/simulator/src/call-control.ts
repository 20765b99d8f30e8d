import { randomBytes } from "node:crypto";
import {
  type CallPush,
  callPushes,
  platformTime,
  type SimulatedCall,
  type SimulatedCallInput,
} from "./calls.js";
import { Code } from "./codes.js";
import type { Pusher } from "./push.js";
import type { AppState, PlatformState, Result } from "./state.js";

/** Options of the recording download URL (§12.1). */
export interface RecordingOptions {
  /**
   * HTTP status of the redirect that carries the file's address in `Location`. The platform's status is
   * unconfirmed (§15.5); clients in the wild report 301 (§16).
   * @default 301
   */
  readonly redirectStatus?: 301 | 302 | 303 | 307 | 308;
  /**
   * How long a recording stays downloadable after its CDR was pushed, in seconds (by the `now` clock).
   * @default 604_800 (7 days, §12.1)
   */
  readonly retentionSeconds?: number;
}

/** A call {@link CallControl.start} holds open: answered, not yet disconnected. */
export interface LiveCall extends SimulatedCall {
  /** False when the call could not be connected or was not answered: it ended at once, as `simulateCall`. */
  readonly live: boolean;
}

/** Path prefix of the recording files the simulator serves; no platform path starts with it. */
export const RECORDING_FILES_PATH = "/sim-records/";
export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;
/**
 * Teardown of a call ended by `callStop`. The platform documents no code for it (unconfirmed): 0 is a
 * normal release, the description tells it apart.
 */
export const CALL_STOP_STATE = { stateCode: 0, stateDesc: "The call is stopped by the application." };
const HANG_UP_STATE = { stateCode: 0, stateDesc: "The user releases the call." };

interface Recording {
  readonly appKey: string;
  readonly token: string;
  readonly pushedAtMs: number;
}

interface HeldCall {
  readonly appKey: string;
  readonly answerMs: number;
  /** disconnect, then the CDR, as built at the start; times and teardown are set when the call ends. */
  readonly rest: readonly CallPush[];
}

/** Recordings of pushed CDRs, and calls held open until `callStop` (§12). */
export class CallControl {
  readonly #recordings = new Map<string, Recording>();
  readonly #byToken = new Map<string, string>();
  readonly #live = new Map<string, HeldCall>();
  readonly #ending = new Set<Promise<void>>();
  readonly #retentionMs: number;
  readonly redirectStatus: number;

  constructor(
    private readonly state: PlatformState,
    private readonly pusher: Pusher | undefined,
    private readonly nowMs: () => number,
    /** Base URL of the simulator, for the recording files' addresses. */
    private readonly baseUrl: () => string,
    options: RecordingOptions = {},
  ) {
    const seconds = options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    if (!(seconds >= 0)) throw new RangeError(`recordings.retentionSeconds must be >= 0, got ${seconds}`);
    this.#retentionMs = seconds * 1000;
    const status = options.redirectStatus ?? 301;
    if (![301, 302, 303, 307, 308].includes(status))
      throw new RangeError(`recordings.redirectStatus must be 301, 302, 303, 307 or 308, got ${status}`);
    this.redirectStatus = status;
  }

  /** Keeps the recordings named in CDR pushes, from now (the push) on. */
  noteCdrs(appKey: string, pushes: readonly CallPush[]): void {
    const nowMs = this.nowMs();
    this.#forgetExpired(nowMs);
    for (const push of pushes) {
      if (push.kind !== "fee") continue;
      for (const cdr of push.body.feeLst as Record<string, unknown>[]) {
        const { recordObjectName: file, recordDomain: domain } = cdr;
        if (typeof file !== "string" || typeof domain !== "string") continue;
        const key = recordingKey(appKey, domain, file);
        const old = this.#recordings.get(key);
        if (old) this.#byToken.delete(old.token);
        const token = randomBytes(16).toString("hex");
        this.#recordings.delete(key); // re-inserted last: the map stays in push order
        this.#recordings.set(key, { appKey, token, pushedAtMs: nowMs });
        this.#byToken.set(token, key);
      }
    }
  }

  /** The download address of one recording of `app`, or "record does not exist" (`1012007`). */
  recordingUrl(app: AppState, fileName: string, recordDomain: string): Result<string> {
    this.#forgetExpired(this.nowMs());
    const rec = this.#recordings.get(recordingKey(app.config.appKey, recordDomain, fileName));
    if (!rec) return { ok: false, code: Code.axbRecordNotFound };
    return { ok: true, value: `${this.baseUrl()}${RECORDING_FILES_PATH}${rec.token}` };
  }

  /** The audio behind a recording file path, while the recording is kept. */
  recordingFile(path: string): Buffer | undefined {
    this.#forgetExpired(this.nowMs());
    const token = path.slice(RECORDING_FILES_PATH.length);
    return this.#byToken.has(token) ? FAKE_WAV : undefined;
  }

  /**
   * Starts a call as `simulateCall` does, but holds an answered call open after `answer`: its disconnect
   * and CDR are pushed when `callStop` or {@link end} ends it.
   */
  async start(app: AppState, input: SimulatedCallInput): Promise<LiveCall> {
    const pusher = this.#requirePusher();
    const binding = this.state.binding(app.config.appKey, input.subscriptionId);
    if (!binding) throw new Error(`no live binding ${input.subscriptionId} in app "${app.config.appKey}"`);
    const { call, pushes } = callPushes(
      binding,
      this.state.numberStatus(app.config.appKey, binding.x),
      input,
      this.nowMs(),
    );
    const answerAt = pushes.findIndex((p) => p.kind === "call" && p.body.eventType === "answer");
    if (answerAt === -1) {
      this.noteCdrs(app.config.appKey, pushes);
      for (const push of pushes) await pusher.send(push.kind, app.config, push.body);
      return { ...call, live: false };
    }
    const answer = (pushes[answerAt]!.body.statusInfo as { timestamp: string }).timestamp;
    this.#live.set(call.sessionId, {
      appKey: app.config.appKey,
      answerMs: Date.parse(`${answer.replace(" ", "T")}Z`),
      rest: pushes.slice(answerAt + 1),
    });
    for (const push of pushes.slice(0, answerAt + 1)) await pusher.send(push.kind, app.config, push.body);
    return { ...call, pushed: call.pushed.slice(0, answerAt + 1), live: true };
  }

  /** `callStop` (§12.2): ends a live call of `app`, or `1020152` for a session it does not have. */
  stop(app: AppState, sessionId: string): Result<void> {
    const held = this.#live.get(sessionId);
    if (!held || held.appKey !== app.config.appKey) return { ok: false, code: Code.invalidSessionId };
    this.#finish(app, sessionId, held, CALL_STOP_STATE);
    return { ok: true, value: undefined };
  }

  /** Ends a live call as a hang-up by a user; resolves after its disconnect and CDR pushes' first attempts. */
  async end(app: AppState, sessionId: string): Promise<void> {
    const held = this.#live.get(sessionId);
    if (!held || held.appKey !== app.config.appKey) throw new Error(`no live call ${sessionId}`);
    await this.#finish(app, sessionId, held, HANG_UP_STATE);
  }

  /** Resolves once every call ended so far has handed its last pushes to the pusher. */
  async settled(): Promise<void> {
    while (this.#ending.size > 0) await Promise.all(this.#ending);
  }

  #finish(app: AppState, sessionId: string, held: HeldCall, teardown: typeof HANG_UP_STATE): Promise<void> {
    this.#live.delete(sessionId);
    const endMs = Math.max(this.nowMs(), held.answerMs);
    const pushes = held.rest.map((push): CallPush => {
      if (push.kind === "fee") {
        const feeLst = (push.body.feeLst as Record<string, unknown>[]).map((cdr) => ({
          ...cdr,
          callEndTime: platformTime(endMs),
          ulFailReason: teardown.stateCode,
        }));
        return { kind: "fee", body: { ...push.body, feeLst } };
      }
      const statusInfo = push.body.statusInfo as Record<string, unknown>;
      return {
        kind: push.kind,
        body: { ...push.body, statusInfo: { ...statusInfo, timestamp: platformTime(endMs), ...teardown } },
      };
    });
    this.noteCdrs(app.config.appKey, pushes);
    const pusher = this.#requirePusher();
    const sending = (async () => {
      for (const push of pushes) await pusher.send(push.kind, app.config, push.body);
    })();
    this.#ending.add(sending);
    return sending.finally(() => this.#ending.delete(sending));
  }

  #requirePusher(): Pusher {
    if (!this.pusher) throw new Error("calls need the push option (where to send the call events)");
    return this.pusher;
  }

  /** Drops recordings past retention; the map is in push order, so the expired ones are at its front. */
  #forgetExpired(nowMs: number): void {
    for (const [key, rec] of this.#recordings) {
      if (nowMs - rec.pushedAtMs < this.#retentionMs) break;
      this.#recordings.delete(key);
      this.#byToken.delete(rec.token);
    }
  }
}

function recordingKey(appKey: string, domain: string, fileName: string): string {
  return JSON.stringify([appKey, domain, fileName]);
}

/** 0.1 s of 8 kHz 16-bit mono silence: a small but valid WAV file as the recording's content. */
const FAKE_WAV = (() => {
  const samples = 800;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16_000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write("data", 36);
  wav.writeUInt32LE(samples * 2, 40);
  return wav;
})();
