/**
 * irssi (in tmux) and SASL EXTERNAL over TLS: a nick that chat-client
 * registered to its key is refused to irssi without a certificate (433:
 * irssi takes its alternate nick `ana_`), and irssi with a certificate made from the same
 * identity (`deno task irc-cert`) gets it, with SASL 900/903. irssi pins
 * the server's certificate (`tls_pinned_cert`). Needs irssi and tmux: a
 * missing one skips the test here, and fails it under CI=true.
 */

import assert from "node:assert/strict";
import { loadIdentity } from "../lib/client/identity.ts";
import { ircCertificate } from "../lib/client/irc_certificate.ts";
import { fingerprintOf, firstPemCertificate, hexFingerprint } from "../lib/protocol/fingerprint.ts";
import { createSelfSigned } from "../lib/server/tls_certificate.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TmuxSession } from "./_tmux.ts";

function installed(program: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).outputSync().success;
  } catch {
    return false;
  }
}

const ready = installed("irssi") && installed("tmux");
const ci = Deno.env.get("CI") === "true";

/** An irssi config: one TLS server, pinned, with SASL EXTERNAL and this certificate when given. */
function irssiConfig(port: number, pin: string, certFile?: string): string {
  const sasl = certFile ? `sasl_mechanism = "EXTERNAL";` : "";
  const cert = certFile ? `tls_cert = "${certFile}";` : "";
  return `servers = (
  {
    address = "127.0.0.1"; chatnet = "lanchat"; port = "${port}";
    use_tls = "yes"; tls_verify = "no"; tls_pinned_cert = "${pin}"; ${cert}
    autoconnect = "no";
  }
);
chatnets = { lanchat = { type = "IRC"; ${sasl} }; };
settings = { core = { real_name = "test"; user_name = "ana"; nick = "ana"; }; };
`;
}

Deno.test({
  name: "irssi is refused a registered nick without its certificate and gets it with SASL EXTERNAL",
  ignore: !ready && !ci,
  async fn() {
    assert.ok(ready, "irssi and tmux must be installed (CI=true): .ci/run installs them");
    const serverCertificate = await createSelfSigned();
    await using server = await startServer({ tls: serverCertificate });
    const port = server.addr.port;
    const dir = await Deno.makeTempDir({ prefix: "lanchat-irssi-sasl-" });
    try {
      // chat-client's identity registers "ana".
      const identity = await loadIdentity(`${dir}/client`);
      {
        await using native = await NativeClient.connectTls(port, serverCertificate.cert, "ana", {
          key: identity,
        });
        await native.send({ type: "cmd", name: "register", args: "" });
        await native.next("notice", (e) => e.message.includes("now registered"));
      }
      const pin = hexFingerprint(await fingerprintOf(firstPemCertificate(serverCertificate.cert)!));
      await Deno.mkdir(`${dir}/without`);
      await Deno.writeTextFile(`${dir}/without/config`, irssiConfig(port, pin));
      {
        await using irssi = await TmuxSession.start(
          `irssi --home=${dir}/without -c lanchat`,
          150,
          30,
        );
        // 433 (irssi does not print it while registering: it takes its alternate nick).
        await irssi.waitFor((rows) =>
          rows.some((row) => row.includes("Welcome to lanchat, a lanchat server, ana_"))
        );
        await irssi.type("/quit");
        await irssi.press("Enter");
      }
      const certFile = `${dir}/ana.pem`;
      await Deno.writeTextFile(
        certFile,
        await ircCertificate(await Deno.readTextFile(identity.path!), "ana"),
        { mode: 0o600 },
      );
      await Deno.mkdir(`${dir}/with`);
      await Deno.writeTextFile(`${dir}/with/config`, irssiConfig(port, pin, certFile));
      await using irssi = await TmuxSession.start(`irssi --home=${dir}/with -c lanchat`, 150, 30);
      await irssi.waitFor((rows) =>
        rows.some((row) => row.includes("Welcome to lanchat, a lanchat server, ana"))
      );
      await irssi.waitFor((rows) => rows.some((row) => /SASL authentication succe/i.test(row)));
      await using watcher = await NativeClient.connectTls(port, serverCertificate.cert, "watcher");
      await watcher.send({ type: "cmd", name: "whois", args: "ana" });
      const whois = await watcher.next("whois");
      assert.equal(whois.fingerprint, identity.fingerprint);
      assert.equal(whois.registered, true);
      await irssi.type("/quit");
      await irssi.press("Enter");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
