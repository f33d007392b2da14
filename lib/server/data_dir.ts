/**
 * Where the server keeps its data by default, per platform:
 * `$XDG_DATA_HOME/lanchat` or `~/.local/share/lanchat` on Linux and the BSDs,
 * `~/Library/Application Support/lanchat` on macOS, `%APPDATA%\lanchat` on Windows.
 */
export function defaultDataDir(
  os: typeof Deno.build.os,
  env: (name: string) => string | undefined,
): string | undefined {
  if (os === "windows") {
    const appData = env("APPDATA");
    return appData ? `${appData}\\lanchat` : undefined;
  }
  const home = env("HOME");
  if (os === "darwin") return home ? `${home}/Library/Application Support/lanchat` : undefined;
  const xdg = env("XDG_DATA_HOME");
  if (xdg) return `${xdg}/lanchat`;
  return home ? `${home}/.local/share/lanchat` : undefined;
}
