import type { Outcome } from "@bindpool/core";
import type { PlatformClient } from "./http.js";
import { LOCAL_CODES } from "./http.js";
import type { FeeRecord } from "./notifications/schemas.js";

/** Recording download URL (§12.1), for apps of every mode. */
export const RECORDING_PATH = "/rest/provision/voice/record/v1.0";
/** Stop call (§12.2). */
export const CALL_STOP_PATH = "/rest/httpsessions/callStop/v2.0";

/** One recording, named as its CDR names it (§11.2). */
export interface RecordingRequest {
  /** The CDR's `recordObjectName`, 1-128 characters. */
  readonly fileName: string;
  /** The CDR's `recordDomain`, 1-128 characters. */
  readonly recordDomain: string;
}

/** How the driver asks for its bindings' calls to be recorded (`HuaweiDriverOptions.recording`). */
export interface RecordingSettings {
  /** The recording notice played to both parties (`recordHintTone`): an audio file approved in the console. */
  readonly hintTone?: string;
}

/** The bind fields (§4.1) that ask the platform to record a binding's calls. */
export function recordingFields(settings: RecordingSettings | undefined): Record<string, unknown> {
  if (settings === undefined) return {};
  return { recordFlag: "true", recordHintTone: settings.hintTone };
}

/** The answer for a CDR that names no recording (the call was not recorded, or not answered). */
export interface NoRecording {
  readonly kind: "noRecording";
}

/**
 * Asks for a recording's download address: the platform answers with a redirect whose `Location` is the
 * file; the redirect is not followed (the file stream is not for this client to load). "Record does not
 * exist" (`1012007`, 7 days after the CDR) is `notFound`.
 */
export async function recordingUrl(
  client: PlatformClient,
  req: RecordingRequest,
): Promise<Outcome<{ url: string }>> {
  const answer = await client.send({
    method: "GET",
    path: RECORDING_PATH,
    query: { fileName: req.fileName, recordDomain: req.recordDomain },
    answersWithRedirect: true,
  });
  if (answer.kind !== "ok") return answer;
  if (answer.location === undefined) {
    return {
      kind: "unknown",
      code: LOCAL_CODES.malformed,
      message: "the platform answered the recording URL with success but no redirect",
    };
  }
  return { kind: "ok", value: { url: answer.location } };
}

/**
 * What to ask for the recording of a CDR: `recordObjectName` and `recordDomain`, or, when the domain is
 * empty, the CDR's own `recordFileDownloadUrl` (§11.2); undefined when it names no recording.
 */
export function recordingOfCdr(
  record: FeeRecord,
): { readonly request: RecordingRequest } | { readonly url: string } | undefined {
  const fileName = record.recordObjectName;
  const recordDomain = record.recordDomain;
  if (fileName && recordDomain) return { request: { fileName, recordDomain } };
  if (record.recordFileDownloadUrl) return { url: record.recordFileDownloadUrl };
  return undefined;
}

/** Ends a call by the `sessionId` of its call events; `1020152` (no such session) is `notFound`. */
export async function stopCall(client: PlatformClient, sessionId: string): Promise<Outcome<void>> {
  const answer = await client.send({
    method: "POST",
    path: CALL_STOP_PATH,
    body: { sessionid: sessionId, signal: "call_stop" },
  });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}
