import { MemoryStore } from "@bindpool/core";
import { runStoreConformance } from "../src/index.js";

runStoreConformance({ name: "MemoryStore", create: async () => new MemoryStore() });
