// Types of serverShutdown.cjs for the program's TypeScript.
export interface ShutdownInputs {
  /** kubectl and the flags that reach the stack's cluster (kubectlCommand). */
  kubectl: string[];
  namespace: string;
  releaseName: string;
  /** The command that stops every server through the hub (stopServersCommand). */
  command: string[];
  timeoutSeconds: number;
}
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error & { code?: string };
  timedOut: boolean;
}
export type Runner = (argv: string[], options: { timeoutMs: number; onLine?: (line: string) => void }) => Promise<RunResult>;
export declare const SKIP_STOP_VARIABLE: string;
export declare const DELETE_UNREACHABLE_VARIABLE: string;
export declare function serverSelector(releaseName: string): string;
export declare function hubSelector(releaseName: string): string;
export declare function unreachableMessage(props: ShutdownInputs, why: string): string;
export declare function stopServers(props: ShutdownInputs, report: (line: string) => void, runner?: Runner): Promise<string>;
export declare const provider: {
  create(inputs: ShutdownInputs): Promise<{ id: string; outs: ShutdownInputs }>;
  diff(id: string, olds: ShutdownInputs, news: ShutdownInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
  update(id: string, olds: ShutdownInputs, news: ShutdownInputs): Promise<{ outs: ShutdownInputs }>;
  delete(id: string, props: ShutdownInputs): Promise<void>;
};
export declare function handler(): typeof provider;
