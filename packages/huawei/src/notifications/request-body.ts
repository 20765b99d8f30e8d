import type { IncomingMessage } from "node:http";

/** A node request over the limit is drained (so the client reads the 413) up to this many times the limit. */
const DRAIN_FACTOR = 8;

/** The body text, or undefined when it exceeds the limit (the rest is drained, then the socket dropped). */
export function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const declared = Number(req.headers["content-length"]);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > maxBytes;
    if (over && declared > maxBytes * DRAIN_FACTOR) {
      resolve(undefined);
      req.resume();
      return;
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) over = true;
      if (over) {
        chunks.length = 0;
        if (size > maxBytes * DRAIN_FACTOR) {
          resolve(undefined);
          req.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("request aborted")));
  });
}

/** The body text of a fetch request, or undefined when it exceeds the limit (reading stops there). */
export async function readStreamBody(request: Request, maxBytes: number): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await request.body?.cancel();
    return undefined;
  }
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
