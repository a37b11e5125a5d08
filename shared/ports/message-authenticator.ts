/**
 * A keyed MAC whose key never leaves its home (KMS in AWS, the data directory
 * locally): for values the service hands out and must recognise as its own.
 */
export interface MessageAuthenticator {
  /** HMAC-SHA-256 tag over the message. */
  mac(message: Uint8Array): Promise<Uint8Array>;
  /** Whether `tag` is this key's tag over the message (false for any malformed tag). */
  verify(message: Uint8Array, tag: Uint8Array): Promise<boolean>;
}
