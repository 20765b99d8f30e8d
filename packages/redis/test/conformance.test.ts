import { runStoreConformance } from "@bindpool/store-tests";
import type { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { RedisStore } from "../src/index.js";
import { type RedisServer, startRedis } from "./harness.js";

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});
afterAll(async () => {
  await server?.stop();
});

// Every store gets a fresh key prefix on one server: stores never see each other's keys.
let seq = 0;
runStoreConformance({
  name: "RedisStore",
  create: async () => new RedisStore({ redis, prefix: `c${++seq}` }),
});
