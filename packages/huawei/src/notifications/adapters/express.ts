/**
 * `@bindpool/huawei/express`: the notification handler as an Express (4 or 5) route handler. Imports
 * nothing from Express, so `@bindpool/huawei` never pulls it in.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ValidationError } from "@bindpool/core";
import type { NotificationHandler } from "../handler.js";

/** An Express request as the adapter reads it: a `node:http` request, plus `body` if a parser ran. */
export type ExpressRequestLike = IncomingMessage & { body?: unknown };

/**
 * An Express route handler for `handler`: `app.post("/huawei/notify", expressNotifications(handler))`.
 * The signature check needs the body as sent, so:
 * - mounted before any body parser (or on a router without one), it reads the request itself;
 * - after `express.raw({ type: "*\/*" })` or `express.text({ type: "*\/*" })`, it takes their `Buffer` or
 *   string (same limit as the handler's `maxBodyBytes`, or larger);
 * - after `express.json()` the text is gone: it passes a `ValidationError` to `next` saying so.
 */
export function expressNotifications(
  handler: NotificationHandler,
): (req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => Promise<void> {
  if (typeof handler?.node !== "function") {
    throw new ValidationError("expressNotifications needs a handler from createNotificationHandler");
  }
  return async (req, res, next) => {
    if (!req.readableEnded) return handler.node(req, res);
    const { body } = req;
    const text = Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : undefined;
    if (text === undefined) {
      next(
        new ValidationError(
          "the push's body was parsed before the notification route (express.json()?), so its raw text, which the signature check needs, is gone: mount the route before the body parser, or give it express.raw({ type: '*/*' })",
        ),
      );
      return;
    }
    const result = await handler.handle({ headers: req.headers, body: text });
    res.writeHead(
      result.status,
      result.body === "" ? {} : { "Content-Type": "application/json; charset=utf-8" },
    );
    res.end(result.body);
  };
}
