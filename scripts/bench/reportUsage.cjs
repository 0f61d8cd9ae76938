// Preloaded into each benchmarked process: on exit, writes its peak memory to the file named by
// BENCH_USAGE_FILE, so the benchmark measures the child itself and nothing around it.
"use strict";
const fs = require("fs");

process.on("exit", () => {
  const file = process.env.BENCH_USAGE_FILE;
  if (file) fs.writeFileSync(file, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
});
