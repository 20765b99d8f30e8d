#!/usr/bin/env node
import { run } from "./commands.js";

const result = await run(process.argv.slice(2), process.env);
// Exit once the output is flushed: a Redis client that failed to connect keeps timers alive for a while.
process.stdout.write(result.stdout, () => {
  process.stderr.write(result.stderr, () => process.exit(result.code));
});
