/// <reference lib="dom" />
/** @jsxImportSource preact */
/**
 * The settings panel: this browser's key (its fingerprint, as
 * `chat-client --whoami` prints it), the server's certificate (or the
 * warning of a plain connection), and notifications.
 *
 * @module
 */

import { useState } from "preact/hooks";
import type { IdentityOutcome } from "./web_identity.ts";

/** See the module doc. */
export function Settings(
  { identity, binding, onClose }: {
    identity: IdentityOutcome;
    binding: string | undefined;
    onClose: () => void;
  },
) {
  const [permission, setPermission] = useState(
    typeof Notification === "undefined" ? "unsupported" : Notification.permission,
  );
  return (
    <section
      id="settings"
      class="settings"
      role="dialog"
      aria-label="Settings"
      data-testid="settings-panel"
      tabIndex={-1}
    >
      <h2>Settings</h2>
      <h3>Your key</h3>
      {identity.identity
        ? (
          <p>
            <code class="fingerprint" data-testid="fingerprint">
              {identity.identity.fingerprint}
            </code>
            <span class="hint">
              This browser's key, kept for this server's address. /register binds your nick to it.
            </span>
          </p>
        )
        : <p data-testid="fingerprint-missing">No key: {identity.reason}</p>}
      <h3>This server</h3>
      <p data-testid="server-binding">
        {binding === undefined
          ? "Not connected"
          : binding === "plain"
          ? "Plain connection, no TLS: anyone on the network can read it"
          : (
            <>
              <span class="hint">Certificate</span>
              <code class="fingerprint">{binding}</code>
              <span class="hint">
                It should match the fingerprint chat-server printed when it started.
              </span>
            </>
          )}
      </p>
      <h3>Notifications</h3>
      {permission === "granted"
        ? (
          <p data-testid="notifications-state">
            On for mentions and private messages while this tab is in the background
          </p>
        )
        : !globalThis.isSecureContext
        ? (
          <p data-testid="notifications-state">
            Notifications need an https page: this one is plain http (the server runs with --plain),
            so the browser does not offer them
          </p>
        )
        : permission === "unsupported"
        ? <p data-testid="notifications-state">This browser has no notifications</p>
        : (
          <button
            type="button"
            data-testid="enable-notifications"
            disabled={permission === "denied"}
            onClick={async () => setPermission(await Notification.requestPermission())}
          >
            {permission === "denied"
              ? "Notifications are blocked in this browser"
              : "Notify me of mentions"}
          </button>
        )}
      <button type="button" class="close" onClick={onClose} data-testid="settings-close">
        Close
      </button>
    </section>
  );
}
