import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { CERT_FILE, CertificateError, KEY_FILE, loadCertificate } from "./tls_certificate.ts";

Deno.test("loadCertificate: made once in the data directory, then the same one is loaded", async () => {
  const dir = `${Deno.makeTempDirSync()}/data`;
  const made = await loadCertificate({ kind: "dir", dir });
  assert.equal(made.created, true);
  assert.equal(made.source, `${dir}/${CERT_FILE}`);
  const x509 = new X509Certificate(made.cert);
  assert.equal(x509.subject, "CN=lanchat");
  assert.equal(x509.ca, false);
  assert.ok(x509.checkIP("127.0.0.1"));
  assert.ok(new Date(x509.validTo).getTime() > Date.now() + 10 * 365 * 86_400_000);
  const again = await loadCertificate({ kind: "dir", dir });
  assert.equal(again.created, false);
  assert.equal(again.fingerprint, made.fingerprint);
  assert.equal(again.key, made.key);
});

Deno.test("loadCertificate: a key without its certificate is an error that says what to do", async () => {
  const dir = Deno.makeTempDirSync();
  await loadCertificate({ kind: "dir", dir });
  Deno.removeSync(`${dir}/${CERT_FILE}`);
  await assert.rejects(
    loadCertificate({ kind: "dir", dir }),
    (error: Error) =>
      error instanceof CertificateError &&
      error.message.includes(`${dir}/${KEY_FILE} exists but ${dir}/${CERT_FILE} does not`) &&
      /new fingerprint/.test(error.message),
  );
});

Deno.test("loadCertificate: given files are used as they are; missing or wrong ones name the path", async () => {
  const dir = Deno.makeTempDirSync();
  const made = await loadCertificate({ kind: "dir", dir });
  const files = await loadCertificate({
    kind: "files",
    certFile: `${dir}/${CERT_FILE}`,
    keyFile: `${dir}/${KEY_FILE}`,
  });
  assert.equal(files.fingerprint, made.fingerprint);
  await assert.rejects(
    loadCertificate({ kind: "files", certFile: `${dir}/nope.pem`, keyFile: `${dir}/${KEY_FILE}` }),
    new RegExp(`cannot read --cert ${dir}/nope\\.pem`),
  );
  Deno.writeTextFileSync(`${dir}/junk.pem`, "not a certificate");
  await assert.rejects(
    loadCertificate({ kind: "files", certFile: `${dir}/junk.pem`, keyFile: `${dir}/${KEY_FILE}` }),
    /junk\.pem holds no PEM certificate/,
  );
});

Deno.test("loadCertificate: a data directory that cannot be created is an error with the path", async () => {
  const file = `${Deno.makeTempDirSync()}/a-file`;
  Deno.writeTextFileSync(file, "");
  await assert.rejects(
    loadCertificate({ kind: "dir", dir: `${file}/data` }),
    (error: Error) =>
      error instanceof CertificateError && error.message.includes(`${file}/data`) &&
      /not a directory/i.test(error.message),
  );
});
