import { MemoryStore } from "@bindpool/core";
import { runStoreConformance } from "../src/index.js";

runStoreConformance({
  name: "MemoryStore",
  create: async () => new MemoryStore(),
  connect: async (store) => (store as MemoryStore).connect(),
  loseData: async (store) => (store as MemoryStore).loseData(),
});
