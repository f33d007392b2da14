/**
 * The files workload's references (bench/files_workload.ts): static file
 * servers on the same machine, started in the same run as lanchat, so its
 * throughput is stated against what serving a file costs here:
 *
 * - nginx over TLS (Debian's nginx-light, one worker, OpenSSL): GET from the
 *   directory, POST /upload read to a temporary file on disk and removed
 *   (`client_body_in_file_only clean` with the echo module's
 *   `echo_read_request_body`); skipped when `nginx` is not installed;
 * - python's http.server over TLS (bench/reference/static_files.py with the
 *   certificate), and the same plain;
 * - the runtime floor: a bare `node:https` program under Deno
 *   (bench/reference/tls_file_server.ts).
 *
 * All TLS ones use the bench's certificate (`referenceCertificateFiles`).
 *
 * @module
 */

import { ROOT } from "./server_process.ts";
import { serverV8Flags } from "../tools/v8_flags.ts";
import type { Target } from "./targets.ts";

/** The certificate and key files every TLS server of the bench uses. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/** python's static file server with a POST sink; over TLS when given the certificate. */
export function pythonStatic(dir: () => string, files?: CertificateFiles): Target {
  return {
    name: files ? "python static (TLS)" : "python static (plain)",
    handshake: "none",
    native: false,
    tls: files !== undefined,
    start: (port) =>
      new Deno.Command("python3", {
        args: [
          "bench/reference/static_files.py",
          String(port),
          dir(),
          ...(files ? [files.cert, files.key] : []),
        ],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn(),
  };
}

/** Whether an `nginx` binary is on the PATH. */
export function hasNginx(): boolean {
  try {
    return new Deno.Command("nginx", { args: ["-v"], stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** The nginx configuration: one worker, TLS on 127.0.0.1, GET from `root`, POST /upload to disk. */
export function nginxConfig(
  prefix: string,
  port: number,
  root: string,
  files: CertificateFiles,
): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `  ${kind}_temp_path ${prefix}/${kind};`).join("\n");
  return `load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
user root;
worker_processes 1;
daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log stderr error;
events { worker_connections 256; }
http {
  access_log off;
${temp}
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${files.cert};
    ssl_certificate_key ${files.key};
    root ${root};
    client_max_body_size 0;
    client_body_buffer_size 1m;
    client_body_in_file_only clean;
    location = /upload {
      echo_read_request_body;
      echo ok;
    }
  }
}
`;
}

/** nginx over TLS, configured in a temporary directory (removed when it exits). */
export function nginxTls(dir: () => string, files: CertificateFiles): Target {
  return {
    name: "nginx (TLS)",
    handshake: "none",
    native: false,
    tls: true,
    start: (port) => {
      const prefix = Deno.makeTempDirSync({ prefix: "lanchat-bench-nginx-" });
      Deno.writeTextFileSync(`${prefix}/nginx.conf`, nginxConfig(prefix, port, dir(), files));
      const child = new Deno.Command("nginx", {
        args: ["-p", prefix, "-c", `${prefix}/nginx.conf`],
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      child.status.finally(() => Deno.remove(prefix, { recursive: true }).catch(() => {}));
      return child;
    },
  };
}

/**
 * A runtime floor (bench/reference/tls_file_server.ts): a bare `node:https`
 * file server under Deno, its TLS native (`node`, which buffers without
 * limit) or over the JS stream lanchat's TLS takes (`node-feed`, the floor
 * on lanchat's path).
 */
export function bareNodeHttps(
  dir: () => string,
  files: CertificateFiles,
  kind: "node" | "node-feed" = "node",
): Target {
  return {
    name: kind === "node" ? "node:https (bare Deno)" : "node:https over a JS feed (bare Deno)",
    handshake: "none",
    native: false,
    tls: true,
    start: (port) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "-A",
          ...serverV8Flags(),
          "bench/reference/tls_file_server.ts",
          kind,
          String(port),
          dir(),
          files.cert,
          files.key,
        ],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn(),
  };
}
