// The real-hub tier on chart 4.2.0 (see hubChecks.ts): one file per chart version, so jest runs them side by side.
import { describeRealHub } from "./hubChecks";

describeRealHub("4.2.0");
