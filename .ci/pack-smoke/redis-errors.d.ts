// ioredis's own declarations import the untyped `redis-errors`; with skipLibCheck off (so that every
// bindpool declaration file is checked too) strict mode needs this one line.
declare module "redis-errors";
