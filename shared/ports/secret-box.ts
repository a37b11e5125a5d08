/**
 * Encrypts small secrets (TOTP seeds) at rest: KMS in AWS, an AES-256-GCM key
 * in the data directory locally. The context is bound to the ciphertext, so a
 * secret copied to another user's record does not decrypt.
 */
export interface SecretBox {
  seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<string>;
  open(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string>;
}
