import { type Allocator, BindpoolError, orderKeyFromUserData } from "@bindpool/core";
import type { NotificationEvent } from "./schemas.js";

export interface NotificationsToAllocatorOptions {
  /**
   * Complete an order when the platform reports a call on its binding `disconnect`ed (opt-in: most
   * orders outlive one call). The order is found through the userData bindpool sends (`bp:<orderKey>`),
   * which the platform echoes on `callin`; the disconnect of that call (same `sessionId`) completes it.
   * Callin and disconnect must reach the same process (route pushes to one instance, or by sessionId).
   * @default false
   */
  readonly completeOnDisconnect?: boolean;
  /** Calls in progress remembered for `completeOnDisconnect` (oldest forgotten first). @default 100_000 */
  readonly maxOpenCalls?: number;
}

/**
 * An `onEvent` for `createNotificationHandler` that applies pushes to an allocator: X number status
 * moves the X's state in every pool that has it (9/10 quarantine, 11 draining, 5 active); with
 * `completeOnDisconnect`, a disconnect completes its order. Both effects are idempotent, so a push the
 * platform delivers twice changes nothing the second time.
 */
export function notificationsToAllocator(
  allocator: Allocator,
  options: NotificationsToAllocatorOptions = {},
): (event: NotificationEvent) => Promise<void> {
  const openCalls = new Map<string, string>(); // sessionId -> orderKey, in arrival order
  const maxOpenCalls = options.maxOpenCalls ?? 100_000;
  return async (event) => {
    if (event.type === "numberStatus") {
      for (const change of event.numbers) {
        for (const pool of allocator.poolIds) {
          if (!allocator.hasNumber(change.x, pool)) continue;
          await allocator.setNumberState(change.x, change.state, { pool });
        }
      }
      return;
    }
    if (event.type !== "call" || !options.completeOnDisconnect) return;
    const fromUserData = orderKeyFromUserData(event.userData);
    if (event.event !== "disconnect") {
      if (fromUserData !== undefined && !openCalls.has(event.sessionId)) {
        openCalls.set(event.sessionId, fromUserData);
        if (openCalls.size > maxOpenCalls) openCalls.delete(openCalls.keys().next().value as string);
      }
      return;
    }
    {
      const orderKey = fromUserData ?? openCalls.get(event.sessionId);
      openCalls.delete(event.sessionId);
      if (orderKey === undefined) return;
      for (const pool of allocator.poolIds) {
        try {
          if ((await allocator.complete(orderKey, pool)).status !== "unknown") return;
        } catch (error) {
          if (!(error instanceof BindpoolError) || error.code !== "BINDPOOL_VALIDATION") throw error;
        }
      }
    }
  };
}
