/// <reference lib="dom" />
/** @jsxImportSource preact */
/**
 * The page's entry point, bundled into `dist/app.js` by
 * `deno task build:web`: loads (or makes) the browser's key, then renders
 * the app into `<div id="app">`.
 *
 * @module
 */

import { render } from "preact";
import { App } from "./app.tsx";
import { loadWebIdentity } from "./web_identity.ts";

const root = document.getElementById("app");
if (root) {
  const identity = await loadWebIdentity();
  root.textContent = "";
  render(<App identity={identity} />, root);
}
