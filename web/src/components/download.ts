/** Saves `blob` as a file named `fileName` through a blob: link (allowed by the console's CSP). */
export function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the download in some browsers; a minute is ample to start it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A file-name stamp in UTC, e.g. 20261127T034512Z. */
export const fileStamp = (date = new Date()) => date.toISOString().replace(/[-:]|\.\d+/g, '');
