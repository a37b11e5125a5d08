/** The page asks the hashing worker for one file's SHA-256. */
export interface HashRequest {
  readonly file: File;
}

export type HashReply =
  | { readonly type: 'progress'; readonly bytes: number }
  | { readonly type: 'done'; readonly sha256: string; readonly bytes: number }
  | { readonly type: 'error'; readonly message: string };
