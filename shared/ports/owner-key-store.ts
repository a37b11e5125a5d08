/** Each owner's file key, only ever stored wrapped (KMS in AWS, a local key file locally). */
export interface OwnerKeyStore {
  get(owner: string): Promise<string | undefined>;
  /** Stores `wrapped` unless the owner has a key already; false if so. */
  putIfAbsent(owner: string, wrapped: string): Promise<boolean>;
  /** Forgets the key for good: every file of the owner becomes unreadable (crypto-shredding). */
  delete(owner: string): Promise<void>;
}
