import { runStoreConformance } from "@bindpool/store-tests";
import type { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { conformanceStores, type RedisServer, startRedis } from "./harness.js";

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});
afterAll(async () => {
  await server?.stop();
});

runStoreConformance({
  name: "RedisStore",
  ...conformanceStores("c", {
    redis: () => redis,
    another: () => server.client(),
    flush: async () => {
      await redis.flushall();
    },
  }),
});
