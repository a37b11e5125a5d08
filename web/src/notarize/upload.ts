import { api, apiFetch } from '../api/client';
import { ApiError } from '../api/problem';
import type { Notarization, UploadResponse } from '../api/types';

/** PUT one presigned request with exactly the signed headers; reports bytes sent. XHR: fetch has no upload progress. */
function put(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Blob,
  onProgress: (sent: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(
            new ApiError(xhr.status, 'upload_failed', `the storage refused the upload (HTTP ${xhr.status})`),
          );
    xhr.onerror = () => reject(new ApiError(0, 'network', 'the storage cannot be reached'));
    xhr.send(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stores the file through the presigned flow (docs/files.md) and notarizes
 * the upload: the service checks the stored bytes against `sha256` first.
 */
export async function uploadAndNotarize(
  file: File,
  sha256: string,
  onUploaded: (bytes: number) => void,
  onVerifying: () => void,
): Promise<Notarization> {
  const upload = await api<UploadResponse>('POST', '/v1/uploads', {
    body: {
      sha256,
      size: file.size,
      name: file.name,
      ...(file.type ? { contentType: file.type } : {}),
    },
  });
  if (upload.kind === 'single') {
    if (!upload.url) throw new Error('the upload answer has no URL');
    await put(upload.url, upload.headers, file, onUploaded);
  } else {
    const partSize = upload.partSize ?? 0;
    let done = 0;
    // One part at a time: the browser holds one slice (a reference, not a copy) per request.
    for (const part of upload.parts ?? []) {
      const start = (part.partNumber - 1) * partSize;
      const slice = file.slice(start, Math.min(start + partSize, file.size));
      await put(part.url, upload.headers, slice, (sent) => onUploaded(done + sent));
      done += slice.size;
    }
  }
  onUploaded(file.size);
  return await notarizeUpload(upload.uploadId, onVerifying);
}

/** POST {uploadId} until the service has read the stored bytes (202 while it checks a multipart upload). */
async function notarizeUpload(uploadId: string, onVerifying: () => void): Promise<Notarization> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const res = await apiFetch('POST', '/v1/notarizations', { body: { uploadId } });
      if (res.status !== 202) return (await res.json()) as Notarization;
      await res.body?.cancel();
    } catch (err) {
      // Another request is checking it right now; its outcome is ours too.
      if (!(err instanceof ApiError && err.code === 'upload_busy')) throw err;
    }
    onVerifying();
    await sleep(Math.min(1000 * 1.5 ** attempt, 10_000));
  }
}
