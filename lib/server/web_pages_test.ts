import assert from "node:assert/strict";
import { findAsset, WEB_CLIENT_FILES, webAssets } from "./web_pages.ts";

Deno.test("webAssets() reads the web client's files once, with types and ETags; every file compile embeds exists", () => {
  const assets = webAssets();
  assert.equal(webAssets(), assets, "the same map on every call");
  assert.deepEqual([...assets.keys()].sort(), ["/", "/app.css", "/app.js", "/icon.svg"]);
  assert.match(assets.get("/app.js")!.contentType, /^text\/javascript/);
  for (const asset of assets.values()) assert.match(String(asset.etag), /^"[\w-]{22}"$/);
  for (const file of WEB_CLIENT_FILES) assert.ok(Deno.statSync(file).isFile, file);
});

Deno.test("findAsset() knows only the map's paths and /binding", () => {
  assert.equal(new TextDecoder().decode(findAsset("/binding", "SHA256:abc")!.body), "SHA256:abc\n");
  assert.equal(findAsset("/binding", "plain")!.cacheControl, "no-store");
  for (const path of ["/index.html", "/dist/app.js", "/../deno.json", "/app.js/", "/APP.JS"]) {
    assert.equal(findAsset(path, "plain"), undefined, path);
  }
});
