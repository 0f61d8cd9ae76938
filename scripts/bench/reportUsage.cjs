// Preloaded into each benchmarked process: on exit, writes its peak memory to the file named by
// BENCH_USAGE_FILE, so the benchmark measures the child itself and nothing around it. With
// BENCH_PACKAGES_FILE it also writes the npm packages the process loaded (to keep the floor honest).
"use strict";
const fs = require("fs");

process.on("exit", () => {
  const usageFile = process.env.BENCH_USAGE_FILE;
  if (usageFile) fs.writeFileSync(usageFile, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
  const packagesFile = process.env.BENCH_PACKAGES_FILE;
  if (packagesFile) {
    const packages = new Set();
    for (const file of Object.keys(require.cache)) {
      const match = /node_modules[\\/]((@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
      if (match) packages.add(match[1].replace(/\\/g, "/"));
    }
    fs.writeFileSync(packagesFile, JSON.stringify([...packages].sort()));
  }
});
