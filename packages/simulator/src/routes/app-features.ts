import { Code } from "../codes.js";
import type { AppConfig, BindingAttributes } from "../state.js";
import type { Reply } from "./types.js";

/** What a bind or modify asks of the app: recording and the tone files it names. */
export type FeatureRequest = BindingAttributes & { readonly callbackTone?: string | undefined };

/**
 * Why the app's console features refuse a bind or modify: a tone file that is not approved (`1010002`,
 * §4.1) or `recordFlag` on an app without the recording function (`1012012`, §10); undefined when
 * they allow it.
 */
export function featureRefusal(app: AppConfig, req: FeatureRequest): Reply | undefined {
  const approved = app.approvedToneFiles;
  if (approved !== undefined) {
    const tones: [string, string | undefined][] = [
      ["recordHintTone", req.recordHintTone],
      ["lastMinVoice", req.lastMinVoice],
      ["preVoice.callerHintTone", req.preVoice?.callerHintTone],
      ["preVoice.calleeHintTone", req.preVoice?.calleeHintTone],
      ["callbackTone", req.callbackTone],
    ];
    for (const [field, file] of tones) {
      if (file !== undefined && file !== "" && !approved.includes(file)) {
        return {
          code: Code.invalidRequest,
          detail: `Invalid parameter ${field}: the audio file is not approved for this app.`,
        };
      }
    }
  }
  if (req.recordFlag === true && app.recording === false) return { code: Code.recordingNotOpen };
  return undefined;
}
