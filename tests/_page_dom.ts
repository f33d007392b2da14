/**
 * The few DOM types the browser tests' in-page functions use. The tests do
 * not load TypeScript's `dom` lib: checked in one program with the rest,
 * it clashes with Deno's own types (streams, events). An in-page function
 * starts with `const page = globalThis as unknown as PageGlobals;`.
 *
 * @module
 */

/** A DOM element, as far as the tests look at it. */
export interface PageElement {
  readonly tagName: string;
  readonly id: string;
  readonly children: ArrayLike<PageElement>;
  readonly parentElement: PageElement | null;
  readonly attributes: ArrayLike<{ name: string; value: string }>;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly scrollHeight: number;
  readonly clientHeight: number;
  scrollTop: number;
  textContent: string | null;
  innerHTML: string;
  value: string;
  src: string;
  href: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  getBoundingClientRect(): {
    left: number;
    right: number;
    top: number;
    bottom: number;
    width: number;
  };
  append(...nodes: PageElement[]): void;
  remove(): void;
  scrollIntoView(): void;
  dispatchEvent(event: unknown): boolean;
}

/** The page's document. */
export interface PageDocument extends PageElement {
  readonly body: PageElement;
  readonly documentElement: PageElement;
  readonly title: string;
  readonly activeElement: PageElement | null;
  createElement(tag: string): PageElement;
  addEventListener(type: string, listener: (event: { violatedDirective: string }) => void): void;
}

/** The page's globals the tests use. */
export interface PageGlobals {
  readonly document: PageDocument;
  readonly location: { readonly origin: string; readonly protocol: string; readonly host: string };
  readonly performance: { getEntriesByType(type: string): { name: string }[] };
  readonly innerWidth: number;
  readonly WebSocket: new (url: string) => PageWebSocket;
  readonly Event: new (type: string, init?: { bubbles?: boolean }) => unknown;
  readonly indexedDB: { databases(): Promise<{ name?: string }[]> };
  readonly localStorage: { getItem(key: string): string | null };
  getComputedStyle(element: PageElement): Record<string, string>;
  fetch(url: string): Promise<Response>;
  [mark: `__${string}`]: unknown;
}

/** A WebSocket in the page. */
export interface PageWebSocket {
  onopen: (() => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  close(): void;
}
