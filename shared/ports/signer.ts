/**
 * An Ed25519 signing key whose private half may never leave its home (KMS in
 * AWS, the data directory locally).
 */
export interface Signer {
  /** Ed25519 signature (64 bytes) over the raw message. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** The 32-byte raw Ed25519 public key. */
  publicKey(): Promise<Uint8Array>;
}
