// `jupyterhub:chartValues`: further Zero to JupyterHub chart values, for what the program has no
// key of its own for. Only the shape is checked here; components/hub/chartValues.ts checks them
// against the chart's own schema and against the values the program sets, once those are known.
import { z } from "zod";

export const chartValuesSchema = z
  .record(z.string(), z.unknown())
  .optional()
  .describe(
    "Further values for the Zero to JupyterHub chart (https://z2jh.jupyter.org/en/stable/resources/reference.html), added to the program's. " +
      "They may add keys anywhere, and may not change one the program sets: a map is merged key by key, but a value, a list or a whole map the program sets, " +
      "and the chart's NetworkPolicies, which the program's flows rest on, are refused, naming the jupyterhub key that sets it instead. " +
      "The result is validated against the chart version's own values schema before anything is deployed. Holds no secrets: like the rest of the stack file, it is in plain text.",
  );

export type ChartValuesSettings = z.output<typeof chartValuesSchema>;
