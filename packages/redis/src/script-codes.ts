/**
 * Domain answers the Lua scripts return as negative integers (`CODE` in `scripts/includes/call.lua`).
 * This is the one place they are given meaning.
 */
export const ScriptCode = {
  unknownPool: -1,
  modeMismatch: -2,
  unknownNumber: -3,
  exhausted: -4,
  userLimit: -5,
  lost: -6,
  unknownOrder: -7,
  conflict: -8,
  recovering: -9,
} as const;

export type ScriptCodeName = keyof typeof ScriptCode;

const names = new Map<number, ScriptCodeName>(
  Object.entries(ScriptCode).map(([name, code]) => [code, name as ScriptCodeName]),
);

/** The name of a script's negative answer, or undefined for a success value. */
export function scriptCodeName(reply: unknown): ScriptCodeName | undefined {
  return typeof reply === "number" && reply < 0 ? names.get(reply) : undefined;
}
