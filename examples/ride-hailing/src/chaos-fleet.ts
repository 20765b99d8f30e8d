/**
 * The allocator processes of the chaos run: starts them, sends them requests (again and again until one
 * answers, as a client that retries would), kills them, and notices one that dies on its own.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { RETRYABLE_CODES } from "@bindpool/core";
import type { ChaosInstanceConfig, ChaosRepair, ChaosReply, ChaosRequest } from "./chaos-instance.js";

/** A request without its id (the fleet numbers them). */
export type FleetRequest = ChaosRequest extends infer R
  ? R extends ChaosRequest
    ? Omit<R, "id">
    : never
  : never;

/** Sees every attempt of every request: its start and its answer (the history checker's feed). */
export interface CallRecorder {
  invoke(process: number, req: FleetRequest): void;
  reply(process: number, req: FleetRequest, reply: ChaosReply): void;
}

interface Instance {
  readonly child: ChildProcess;
  ready: Promise<void>;
  alive: boolean;
  serving: boolean;
  /** Set before the fleet kills it: any other exit is a death of its own. */
  killed: boolean;
  stderrTail: string;
}

const STDERR_TAIL_CHARS = 2_000;

export class ChaosFleet {
  private readonly instances: Instance[] = [];
  private readonly pending = new Map<number, { resolve: (r: ChaosReply) => void; instance: Instance }>();
  private nextId = 1;
  private stopping = false;
  /** Instances killed (-9) by the fleet. */
  killed = 0;
  /** Instances that exited without being killed, with their exit code or signal and stderr tail. */
  readonly deaths: string[] = [];
  /** Errors that left the library without being a BindpoolError. */
  readonly untypedErrors: string[] = [];
  /** What the instances' jobs repaired while the run went on, by action. */
  readonly repairs: Record<string, number> = {};
  /** How long each rebuild of a pool from the platform took, in ms. */
  readonly rebuildsMs: number[] = [];

  constructor(
    private readonly config: ChaosInstanceConfig,
    private readonly recorder: CallRecorder,
  ) {}

  /** Starts `count` instances and waits until each serves. */
  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.instances.push(this.spawn());
    await Promise.all(this.instances.map((i) => i.ready));
  }

  /** Sends a request to a live instance, again until one answers it (the operations are idempotent). */
  async request(process: number, req: FleetRequest): Promise<ChaosReply> {
    for (let attempt = 0; ; attempt++) {
      const live = this.instances.filter((i) => i.alive);
      const instance = live[Math.floor(Math.random() * live.length)];
      if (instance === undefined) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      await instance.ready;
      if (!instance.alive) continue;
      const id = this.nextId++;
      this.recorder.invoke(process, req);
      const reply = await new Promise<ChaosReply>((resolve) => {
        this.pending.set(id, { resolve, instance });
        instance.child.send({ ...req, id } as ChaosRequest);
      });
      this.recorder.reply(process, req, reply);
      if (!reply.ok && !reply.typed) this.untypedErrors.push(`${req.op} of ${req.orderKey}: ${reply.code}`);
      // Retry what the chaos caused (dead instance, Redis down, platform unavailable); keep real answers.
      if (reply.ok || !retriable(reply.code) || attempt >= 40) return reply;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }

  /** Kills (-9) a serving instance and starts another in its place; false when none serves. */
  killOne(): boolean {
    const serving = this.instances.map((inst, i) => (inst.serving ? i : -1)).filter((i) => i >= 0);
    const victim = serving[Math.floor(Math.random() * serving.length)];
    if (victim === undefined) return false;
    this.kill(this.instances[victim]!);
    this.killed++;
    this.instances[victim] = this.spawn();
    return true;
  }

  /** Kills every instance and waits until they are gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.instances.map(
        (i) =>
          new Promise<void>((resolve) => {
            if (!i.alive) return resolve();
            i.child.once("exit", () => resolve());
            this.kill(i);
          }),
      ),
    );
  }

  private kill(instance: Instance): void {
    instance.killed = true;
    instance.child.kill("SIGKILL");
  }

  private spawn(): Instance {
    const child = fork(fileURLToPath(new URL("./chaos-instance.ts", import.meta.url)), [], {
      execArgv: ["--conditions=@bindpool/source", "--import", "tsx"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const instance: Instance = {
      child,
      alive: true,
      serving: false,
      killed: false,
      stderrTail: "",
      ready: Promise.resolve(),
    };
    let ready: () => void = () => {};
    instance.ready = new Promise<void>((resolve) => {
      ready = resolve;
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      instance.stderrTail = (instance.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
      process.stderr.write(chunk);
    });
    child.on("message", (m: ChaosReply | ChaosRepair) => {
      if ("repair" in m) {
        this.repairs[m.repair] = (this.repairs[m.repair] ?? 0) + 1;
        if (m.durationMs !== undefined) this.rebuildsMs.push(Math.round(m.durationMs));
        return;
      }
      if (m.id === 0) {
        instance.serving = true;
        return ready();
      }
      this.pending.get(m.id)?.resolve(m);
      this.pending.delete(m.id);
    });
    child.on("exit", (code, signal) => {
      instance.alive = false;
      ready(); // whoever waits for it moves on to another instance
      if (!instance.killed) {
        this.deaths.push(
          `instance ${child.pid} died on its own (exit code ${code}, signal ${signal}); stderr: ${instance.stderrTail.trim()}`,
        );
        // The run goes on with a replacement (unless they keep dying); the death itself is the failure.
        const index = this.instances.indexOf(instance);
        if (index >= 0 && !this.stopping && this.deaths.length < 10) this.instances[index] = this.spawn();
      }
      for (const [id, p] of this.pending) {
        if (p.instance === instance) {
          this.pending.delete(id);
          p.resolve({ id, ok: false, code: "INSTANCE_DIED", typed: true });
        }
      }
    });
    child.send({ type: "start", config: this.config });
    return instance;
  }
}

function retriable(code: string): boolean {
  return code === "INSTANCE_DIED" || RETRYABLE_CODES.has(code) || !code.startsWith("BINDPOOL_");
}
