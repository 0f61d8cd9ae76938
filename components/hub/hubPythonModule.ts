// Loads one of this project's Python files into the hub. The file is mounted into the hub pod
// (hub.extraFiles, readable in values.yaml and its diffs) and imported as a module of its own by a
// short hub.extraConfig entry: the chart exec()s every extraConfig entry in jupyterhub_config.py's
// own namespace, where the files' names could otherwise clash with each other's or the chart's.
import * as fs from "fs";
import * as path from "path";

export const HUB_PYTHON_DIR = "/usr/local/etc/jupyterhub-pulumi";

export interface HubPythonModule {
  /** hub.extraFiles entries. */
  readonly extraFiles: Record<string, { mountPath: string; stringData: string }>;
  /** hub.extraConfig code: import the file as `moduleName`, then run `wiring`. */
  readonly extraConfig: string;
}

export function hubPythonModule(file: string, moduleName: string, wiring: string): HubPythonModule {
  const mountPath = `${HUB_PYTHON_DIR}/${path.basename(file)}`;
  return {
    extraFiles: { [`python-${moduleName.replace(/_/g, "-")}`]: { mountPath, stringData: fs.readFileSync(file, "utf8") } },
    extraConfig: [
      `# ${moduleName}: ${mountPath}, mounted from hub.extraFiles`,
      "import importlib.util as _importlib_util",
      `_spec = _importlib_util.spec_from_file_location(${JSON.stringify(moduleName)}, ${JSON.stringify(mountPath)})`,
      `${moduleName} = _importlib_util.module_from_spec(_spec)`,
      `_spec.loader.exec_module(${moduleName})`,
      wiring,
      "",
    ].join("\n"),
  };
}
