import type { Settings } from "../../settings";

/** The hub's public URL with a trailing slash, e.g. "https://jupyter.home.arpa/". */
export function hubUrl({ hub, https }: Pick<Settings, "hub" | "https">): string {
  return `${https.type === "none" ? "http" : "https"}://${hub.host}/`;
}
