import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  CERT_FILE,
  CertificateError,
  createSelfSigned,
  KEY_FILE,
  loadCertificate,
  readCertificateFiles,
} from "./tls_certificate.ts";
import { UsageError } from "../errors.ts";
import { hexFingerprint } from "../protocol/fingerprint.ts";

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

Deno.test("loadCertificate: given files are used as they are", async () => {
  const dir = Deno.makeTempDirSync();
  const made = await loadCertificate({ kind: "dir", dir });
  const source = readCertificateFiles(`${dir}/${CERT_FILE}`, `${dir}/${KEY_FILE}`);
  const files = await loadCertificate(source);
  assert.equal(files.fingerprint, made.fingerprint);
  assert.equal(files.source, `${dir}/${CERT_FILE}`);
  assert.equal(files.key, made.key);
  // Given by path alone, they are read and checked the same way.
  const byPath = await loadCertificate({
    kind: "files",
    certFile: `${dir}/${CERT_FILE}`,
    keyFile: `${dir}/${KEY_FILE}`,
  });
  assert.equal(byPath.fingerprint, made.fingerprint);
  await assert.rejects(
    loadCertificate({ kind: "files", certFile: `${dir}/nope.pem`, keyFile: `${dir}/${KEY_FILE}` }),
    UsageError,
  );
});

Deno.test("readCertificateFiles: a missing, unreadable or wrong --cert or --key is a usage error naming the flag and the file", async () => {
  const dir = Deno.makeTempDirSync();
  await loadCertificate({ kind: "dir", dir });
  const cert = `${dir}/${CERT_FILE}`;
  const key = `${dir}/${KEY_FILE}`;
  const other = await createSelfSigned();
  Deno.writeTextFileSync(`${dir}/other-key.pem`, other.key);
  Deno.writeTextFileSync(`${dir}/junk.pem`, "not a certificate\n");
  Deno.writeTextFileSync(
    `${dir}/bad-base64.pem`,
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
  );
  const cases: [string, string, string][] = [
    [`${dir}/nope.pem`, key, `cannot read --cert "${dir}/nope.pem": no such file or directory`],
    [cert, `${dir}/nope.pem`, `cannot read --key "${dir}/nope.pem": no such file or directory`],
    [dir, key, `cannot read --cert "${dir}": is a directory`],
    [
      `${dir}/junk.pem`,
      key,
      `--cert "${dir}/junk.pem" holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`,
    ],
    [
      `${dir}/bad-base64.pem`,
      key,
      `--cert "${dir}/bad-base64.pem" holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`,
    ],
    // The certificate file given as the key.
    [
      cert,
      cert,
      `--key "${cert}" holds no usable private key (an unencrypted PEM "-----BEGIN ... PRIVATE KEY-----" block)`,
    ],
    [
      cert,
      `${dir}/other-key.pem`,
      `--key "${dir}/other-key.pem" is not the private key of the certificate in --cert "${cert}"`,
    ],
  ];
  for (const [certFile, keyFile, message] of cases) {
    assert.throws(
      () => readCertificateFiles(certFile, keyFile),
      (error: Error) => error instanceof UsageError && error.message === message,
      message,
    );
  }
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

Deno.test("hexFingerprint: the certificate's fingerprint in hex is what openssl (and a browser) shows", async () => {
  const dir = `${Deno.makeTempDirSync()}/data`;
  const made = await loadCertificate({ kind: "dir", dir });
  const openssl = await new Deno.Command("openssl", {
    args: ["x509", "-noout", "-fingerprint", "-sha256", "-in", `${dir}/${CERT_FILE}`],
  }).output();
  assert.equal(openssl.code, 0);
  const shown = new TextDecoder().decode(openssl.stdout).trim().split("=")[1];
  assert.equal(hexFingerprint(made.fingerprint), shown);
  assert.equal(new X509Certificate(made.cert).fingerprint256, shown);
  await Deno.remove(dir, { recursive: true });
});
