/**
 * Feeds the chaos run's history checker: the platform's own log (the in-process simulator's state
 * events) and every attempt of every client call, in the order the orchestrator sees them. The
 * simulator runs in the orchestrator's process, so a platform change is recorded before the answer that
 * reports it can reach the orchestrator from an instance.
 */
import { orderKeyFromUserData } from "@bindpool/core";
import { type HistoryChecker, type SimulatorLog, watchSimulatorLog } from "@bindpool/history";
import type { CallRecorder, FleetRequest } from "./chaos-fleet.js";
import type { ChaosReply } from "./chaos-instance.js";

const now = () => performance.timeOrigin + performance.now();

/** Records the simulator's binds, modifies, unbinds and expiries of `appKey`; returns the unsubscribe. */
export function watchPlatform(sim: SimulatorLog, appKey: string, checker: HistoryChecker): () => void {
  return watchSimulatorLog(sim, checker, { appKey, orderKeyOf: orderKeyFromUserData, now });
}

/** The client side: each attempt's invoke before it is sent, its ok or fail when the answer arrives. */
export function recordCalls(checker: HistoryChecker): CallRecorder {
  return {
    invoke(process: number, req: FleetRequest) {
      const base = { type: "invoke" as const, process, orderKey: req.orderKey, timeMs: now() };
      if (req.op === "allocate") checker.client({ ...base, op: "allocate", a: req.a, b: req.b });
      else if (req.op === "reassign") checker.client({ ...base, op: "reassign", b: req.b });
      else checker.client({ ...base, op: req.op });
    },
    reply(process: number, req: FleetRequest, reply: ChaosReply) {
      const base = { process, op: req.op, orderKey: req.orderKey, timeMs: now() };
      if (reply.ok) checker.client({ ...base, type: "ok", binding: reply.binding });
      else checker.client({ ...base, type: "fail", error: reply.code });
    },
  };
}
