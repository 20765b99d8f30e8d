/**
 * `@bindpool/huawei/fastify`: the notification handler as a Fastify plugin. Imports nothing from
 * Fastify (its types are matched structurally at run time), so `@bindpool/huawei` never pulls it in.
 */
import type { IncomingHttpHeaders } from "node:http";
import { ValidationError } from "@bindpool/core";
import type { NotificationHandler } from "../handler.js";

export interface FastifyNotificationsOptions {
  /**
   * Route of the pushes inside the plugin (add a `prefix` when registering to move it).
   * @default "/"
   */
  readonly path?: string;
  /**
   * Largest body Fastify reads, in bytes; Fastify answers a larger one 413 itself (its own error body,
   * not counted in `handler.stats()`). Keep it at the handler's `maxBodyBytes`.
   * @default 1_048_576 (the handler's default `maxBodyBytes`)
   */
  readonly bodyLimit?: number;
}

/** The parts of a Fastify instance the plugin uses. */
interface FastifyScope {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: "string"; bodyLimit: number },
    parser: (request: unknown, body: string, done: (error: Error | null, body?: string) => void) => void,
  ): void;
  post(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void>): void;
}
interface FastifyRequestLike {
  readonly headers: IncomingHttpHeaders;
  readonly body?: unknown;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body?: string): FastifyReplyLike;
}

/**
 * A Fastify plugin serving `handler` on `POST <path>`: `app.register(fastifyNotifications(handler),
 * { prefix: "/huawei/notify" })`. It swaps the content-type parsers of its own (encapsulated) scope
 * for one that keeps every body as raw text, because the signature check needs the body as sent and
 * Fastify's JSON parser would consume it; routes outside the plugin keep their parsers.
 */
export function fastifyNotifications(
  handler: NotificationHandler,
  options: FastifyNotificationsOptions = {},
): (instance: unknown, pluginOptions?: unknown) => Promise<void> {
  const path = options.path ?? "/";
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  if (typeof handler?.handle !== "function") {
    throw new ValidationError("fastifyNotifications needs a handler from createNotificationHandler");
  }
  if (!(Number.isSafeInteger(bodyLimit) && bodyLimit > 0)) {
    throw new ValidationError(`bodyLimit must be a positive integer (got ${String(bodyLimit)})`);
  }
  return async (instance) => {
    const app = instance as FastifyScope;
    app.removeAllContentTypeParsers();
    // "*" also takes pushes without a Content-Type; the text goes to the handler untouched.
    app.addContentTypeParser("*", { parseAs: "string", bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    app.post(path, async (request, reply) => {
      const body = typeof request.body === "string" ? request.body : "";
      const result = await handler.handle({ headers: request.headers, body });
      reply.code(result.status);
      if (result.body === "") {
        reply.send();
        return;
      }
      reply.header("content-type", "application/json; charset=utf-8").send(result.body);
    });
  };
}
