// Imported first by index.ts, for its effect: the Node check runs before any other module of the
// program loads, so an unsupported Node stops the CLI's run before a resource is declared.
import { refuseUnsupportedNode } from "./nodeVersion";

refuseUnsupportedNode();
