import { z } from "zod";
import { parse, type Reply, type Route, type RouteContext } from "./types.js";

/** Recording download URL (§12.1), for apps of every mode. */
export const RECORDING_PATH = "/rest/provision/voice/record/v1.0";
/** Stop call (§12.2), for apps of every mode (the demo code uses it for AX, AXB and X). */
export const CALL_STOP_PATH = "/rest/httpsessions/callStop/v2.0";

function requiredText(max: number) {
  return z.preprocess(
    (v) => (v === null || v === "" ? undefined : typeof v === "number" ? String(v) : v),
    z.string({ error: "is required" }).max(max),
  );
}

const recordingSchema = z.object({ fileName: requiredText(128), recordDomain: requiredText(128) });

const stopSchema = z.object({
  sessionid: requiredText(256),
  signal: z.literal("call_stop", { error: 'must be "call_stop"' }),
});

/** Answers the file's address in `Location` of a redirect, which clients must not follow. */
function recordingUrl({ app, params, calls }: RouteContext): Reply {
  const p = parse(recordingSchema, params);
  if (!p.ok) return p.reply;
  const url = calls.recordingUrl(app, p.value.fileName, p.value.recordDomain);
  if (!url.ok) return { code: url.code };
  return { code: "0", httpStatus: calls.redirectStatus, headers: { Location: url.value } };
}

function stopCall({ app, params, calls }: RouteContext): Reply {
  const p = parse(stopSchema, params);
  if (!p.ok) return p.reply;
  const stopped = calls.stop(app, p.value.sessionid);
  return stopped.ok ? { code: "0" } : { code: stopped.code };
}

export const recordingRoute: Route = { mode: "any", methods: { GET: recordingUrl } };
export const callStopRoute: Route = { mode: "any", methods: { POST: stopCall } };
