export { type NotificationsToAllocatorOptions, notificationsToAllocator } from "./allocator.js";
export {
  NOTIFICATION_ERROR_STATUS,
  NotificationError,
  type NotificationErrorCode,
} from "./errors.js";
export {
  createNotificationHandler,
  type NotificationHandler,
  type NotificationHandlerOptions,
  type NotificationInput,
  type NotificationResult,
  type NotificationStats,
} from "./handler.js";
export { MemoryNonceStore, type NonceStore } from "./nonces.js";
export { type ParsedNotification, parseNotification } from "./parse.js";
export {
  billableMinutes,
  CALL_EVENT_TYPES,
  type CallEventType,
  type CallNotification,
  type FeeNotification,
  type FeeRecord,
  type NotificationEvent,
  type NumberStatusChange,
  type NumberStatusNotification,
  numberStateForStatus,
  X_NUMBER_STATUS,
  type XNumberState,
  type XNumberStatus,
} from "./schemas.js";
