/** The lanchat release, read from deno.json so there is one place to bump it. */

import config from "../deno.json" with { type: "json" };

/** The lanchat version, e.g. `"0.1.0"`. */
export const VERSION: string = config.version;
