/** An external RFC 3161 time-stamp authority reached over HTTP (RFC 3161 §3.4). */
export interface TimeStampClient {
  /** POSTs a DER TimeStampReq to `url`; the DER TimeStampResp. Throws on transport or HTTP failure. */
  request(url: string, requestDer: Uint8Array): Promise<Uint8Array>;
}
