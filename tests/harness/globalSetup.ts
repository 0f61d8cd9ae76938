// jest's global setup: fetch what the real-chart and real-hub tiers need once per run, before any
// test file starts (testInputs.ts). When something cannot be had the run stops here with one
// line, instead of every test that renders the chart failing with the same message.
import { ensureTestInputs, missingInputsLine } from "./testInputs";

export default async function globalSetup(): Promise<void> {
  const missing = await ensureTestInputs({ log: (line) => process.stderr.write(`${line}\n`) });
  if (missing.length === 0) return;
  process.stderr.write(`\n${missingInputsLine(missing)}\n`);
  // Exit instead of throwing: jest would print the error's stack and its own wrapper around it.
  process.exit(1);
}
