/// <reference lib="dom" />
/** @jsxImportSource preact */
/**
 * Shared files in the timeline (issue 18) and the uploads under way. An
 * image the server sniffed as PNG, JPEG, GIF or WebP shows as a preview
 * (a click opens it full size over the page); any other file as a card
 * with its name, size and type and a download button. Names are text
 * nodes and attribute values, never markup. Links take only the path and
 * query of the announced url, so the file comes from the page's own
 * origin (the announced host may be another address of the same server).
 * A download goes through `FileDownloads` (see `file_download.ts` for
 * why the page fetches it): while it runs the button shows its percentage
 * with a Cancel beside it, a failure shows beside the card, and the
 * transfers list (`DownloadList`, above the input) shows it wherever the
 * reader is.
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { SharedFile } from "../core/events.ts";
import { formatSize } from "../core/file_name.ts";
import type { FileUploads, Upload } from "./file_uploads.ts";
import { type FileDownloads, percentOf } from "./file_downloads.ts";

/** The types the server serves inline (sniffed from the content). */
const PREVIEW_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** The announced url as a path on this origin, or undefined when it is not a file's. */
export function localFileUrl(file: SharedFile): string | undefined {
  try {
    const url = new URL(file.url);
    if (!url.pathname.startsWith(`/f/${file.id}/`)) return undefined;
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}

/** A shared file in a message: a preview for an image, else a card. */
export function FileShown({ file, downloads }: { file: SharedFile; downloads: FileDownloads }) {
  const [full, setFull] = useState(false);
  const href = localFileUrl(file);
  if (!href) return null;
  const detail = `${formatSize(file.size)}, ${file.type}`;
  if (PREVIEW_TYPES.has(file.type)) {
    return (
      <figure class="file file-image" data-testid="file-image" data-file-id={file.id}>
        <button
          type="button"
          class="file-preview"
          aria-label={`Show ${file.name} full size`}
          onClick={() => setFull(true)}
        >
          <img src={href} alt={file.name} loading="lazy" data-testid="file-preview" />
        </button>
        <figcaption>
          <DownloadLink href={href} file={file} downloads={downloads}>
            <bdi>{file.name}</bdi>
          </DownloadLink>
          <span class="file-detail">{detail}</span>
        </figcaption>
        {full ? <FullSize href={href} name={file.name} close={() => setFull(false)} /> : null}
      </figure>
    );
  }
  return (
    <div class="file file-card" data-testid="file-card" data-file-id={file.id}>
      <span class="file-icon" aria-hidden="true">📄</span>
      <span class="file-about">
        <bdi class="file-name" data-testid="file-name">{file.name}</bdi>
        <span class="file-detail" data-testid="file-detail">{detail}</span>
      </span>
      <DownloadLink
        href={href}
        file={file}
        downloads={downloads}
        class="file-get"
        label={`Download ${file.name}`}
      >
        Download
      </DownloadLink>
    </div>
  );
}

/**
 * A link to the file that saves it through `downloads` on a plain click (a
 * click with a modifier, or the context menu, still has the real link),
 * showing the percentage and a Cancel while it comes, and why it failed.
 */
function DownloadLink(
  { href, file, downloads, children, label, ...rest }: {
    href: string;
    file: SharedFile;
    downloads: FileDownloads;
    children: ComponentChildren;
    label?: string;
    class?: string;
  },
) {
  const download = downloads.get(href);
  const fetching = download?.state === "fetching";
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    downloads.start(href, file.name, file.size);
  };
  return (
    <>
      <a
        class={rest.class}
        href={href}
        download={file.name}
        data-testid="file-download"
        data-state={fetching ? "downloading" : "idle"}
        aria-label={label}
        onClick={onClick}
      >
        {fetching ? `${percentOf(download)}%` : children}
      </a>
      {fetching
        ? (
          <button
            type="button"
            class="file-cancel"
            aria-label={`Cancel the download of ${file.name}`}
            data-testid="file-download-cancel"
            onClick={() => downloads.cancel(href)}
          >
            Cancel
          </button>
        )
        : null}
      {download?.state === "failed"
        ? (
          <span class="file-error" role="alert" data-testid="file-download-error">
            {download.error}
          </span>
        )
        : null}
    </>
  );
}

/** The image over the page; a click anywhere or Escape closes it. */
function FullSize({ href, name, close }: { href: string; name: string; close: () => void }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") close();
    };
    globalThis.addEventListener("keydown", onKey);
    return () => globalThis.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div
      class="file-full"
      role="dialog"
      aria-label={name}
      data-testid="file-full"
      onClick={close}
    >
      <img src={href} alt={name} />
    </div>
  );
}

/** The uploads under way (a bar, the percentage, Cancel) and the failed ones (why, Dismiss). */
export function UploadList({ uploads }: { uploads: FileUploads }) {
  if (uploads.items.length === 0) return null;
  return (
    <ul class="uploads" aria-label="Uploads" data-testid="upload-list">
      {uploads.items.map((upload) => (
        <UploadItem key={upload.key} upload={upload} uploads={uploads} />
      ))}
    </ul>
  );
}

function UploadItem({ upload, uploads }: { upload: Upload; uploads: FileUploads }) {
  const percent = upload.size > 0 ? Math.floor((upload.sent / upload.size) * 100) : 0;
  return (
    <li
      class={`upload upload-${upload.state}`}
      data-testid="upload"
      data-state={upload.state}
      data-percent={String(percent)}
    >
      <bdi class="upload-name">{upload.name}</bdi>
      {upload.state === "sending"
        ? (
          <>
            <progress
              max={100}
              value={percent}
              aria-label={`Sending ${upload.name}`}
              data-testid="upload-progress"
            />
            <span class="upload-percent">{percent}%</span>
          </>
        )
        : upload.state === "waiting"
        ? <span class="upload-percent" data-testid="upload-waiting">waiting</span>
        : <span class="upload-error" role="alert" data-testid="upload-error">{upload.error}</span>}
      <button type="button" data-testid="upload-cancel" onClick={() => uploads.cancel(upload.key)}>
        {upload.state === "failed" ? "Dismiss" : "Cancel"}
      </button>
    </li>
  );
}

/** The downloads under way (a bar, the percentage, Cancel) and the failed ones (why, Dismiss). */
export function DownloadList({ downloads }: { downloads: FileDownloads }) {
  if (downloads.items.length === 0) return null;
  return (
    <ul class="uploads downloads" aria-label="Downloads" data-testid="download-list">
      {downloads.items.map((download) => {
        const percent = percentOf(download);
        return (
          <li
            key={download.key}
            class={`upload download-${download.state}`}
            data-testid="download"
            data-state={download.state}
            data-percent={String(percent)}
          >
            <bdi class="upload-name">{download.name}</bdi>
            {download.state === "fetching"
              ? (
                <>
                  <progress
                    max={100}
                    value={percent}
                    aria-label={`Fetching ${download.name}`}
                    data-testid="download-progress"
                  />
                  <span class="upload-percent">{percent}%</span>
                </>
              )
              : (
                <span class="upload-error" role="alert" data-testid="download-error">
                  {download.error}
                </span>
              )}
            <button
              type="button"
              data-testid="download-cancel"
              onClick={() => downloads.cancel(download.key)}
            >
              {download.state === "fetching" ? "Cancel" : "Dismiss"}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * The handlers that make an element take dropped files for `client`
 * (files only: dragged text is left to the input), with `setDropping`
 * told while files are over it.
 */
export function dropTarget(
  client: { grant: unknown; sendFiles(files: File[]): void },
  setDropping: (over: boolean) => void,
) {
  const carriesFiles = (event: DragEvent) =>
    client.grant !== undefined && (event.dataTransfer?.types ?? []).includes("Files");
  return {
    onDragOver: (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      setDropping(true);
    },
    onDragLeave: (event: DragEvent) => {
      const to = event.relatedTarget as Node | null;
      if (!to || !(event.currentTarget as Node).contains(to)) setDropping(false);
    },
    onDrop: (event: DragEvent) => {
      setDropping(false);
      if (!carriesFiles(event)) return;
      event.preventDefault();
      client.sendFiles([...(event.dataTransfer?.files ?? [])]);
    },
  };
}
