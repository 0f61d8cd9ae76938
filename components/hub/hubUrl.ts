import type { Settings } from "../../settings";

/** The hub's public URL with a trailing slash, e.g. "https://jupyter.home.arpa/" or "http://localhost:8080/". */
export function hubUrl({ hub, https }: Pick<Settings, "hub" | "https">): string {
  const scheme = https.type === "none" ? "http" : "https";
  const standard = scheme === "http" ? 80 : 443;
  return `${scheme}://${hub.host}${hub.port === undefined || hub.port === standard ? "" : `:${hub.port}`}/`;
}
