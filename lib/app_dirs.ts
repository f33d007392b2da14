/**
 * Where the programs keep their files by default, per platform.
 *
 * @module
 */

type Env = (name: string) => string | undefined;

/**
 * The server's data (history, its TLS certificate):
 * `$XDG_DATA_HOME/lanchat` or `~/.local/share/lanchat` on Linux and the BSDs,
 * `~/Library/Application Support/lanchat` on macOS, `%APPDATA%\lanchat` on Windows.
 */
export function defaultDataDir(os: typeof Deno.build.os, env: Env): string | undefined {
  return appDir(os, env, "XDG_DATA_HOME", ".local/share");
}

/**
 * The client's files (known servers, its identity key):
 * `$XDG_CONFIG_HOME/lanchat` or `~/.config/lanchat` on Linux and the BSDs,
 * `~/Library/Application Support/lanchat` on macOS, `%APPDATA%\lanchat` on Windows.
 */
export function defaultConfigDir(os: typeof Deno.build.os, env: Env): string | undefined {
  return appDir(os, env, "XDG_CONFIG_HOME", ".config");
}

function appDir(
  os: typeof Deno.build.os,
  env: Env,
  xdgVariable: string,
  xdgFallback: string,
): string | undefined {
  if (os === "windows") {
    const appData = env("APPDATA");
    return appData ? `${appData}\\lanchat` : undefined;
  }
  const home = env("HOME");
  if (os === "darwin") return home ? `${home}/Library/Application Support/lanchat` : undefined;
  const xdg = env(xdgVariable);
  if (xdg) return `${xdg}/lanchat`;
  return home ? `${home}/${xdgFallback}/lanchat` : undefined;
}

/**
 * Where `/get` saves files by default: `$XDG_DOWNLOAD_DIR`, else
 * `~/Downloads` (`%USERPROFILE%\Downloads` on Windows); undefined without a
 * home directory.
 */
export function defaultDownloadDir(os: typeof Deno.build.os, env: Env): string | undefined {
  const xdg = os === "windows" || os === "darwin" ? undefined : env("XDG_DOWNLOAD_DIR");
  if (xdg) return xdg;
  if (os === "windows") {
    const profile = env("USERPROFILE");
    return profile ? `${profile}\\Downloads` : undefined;
  }
  const home = env("HOME");
  return home ? `${home}/Downloads` : undefined;
}
