// Types of serverShutdown.cjs for the program's TypeScript.
export interface ShutdownInputs {
  command: string[];
  namespace: string;
  timeoutSeconds: number;
}
export declare const SKIP_STOP_VARIABLE: string;
export declare function stopFailureMessage(namespace: string, output: string): string;
export declare const provider: {
  create(inputs: ShutdownInputs): Promise<{ id: string; outs: ShutdownInputs }>;
  diff(id: string, olds: ShutdownInputs, news: ShutdownInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
  update(id: string, olds: ShutdownInputs, news: ShutdownInputs): Promise<{ outs: ShutdownInputs }>;
  delete(id: string, props: ShutdownInputs): Promise<void>;
};
export declare function handler(): typeof provider;
