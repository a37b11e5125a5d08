/**
 * The encoder of the `qrcode` package without its renderers (PNG, SVG,
 * terminal), which the certificate does not need and whose dependencies would
 * only grow the Lambda bundle. Same signature as `create` in @types/qrcode.
 */
declare module 'qrcode/lib/core/qrcode.js' {
  import type { QRCode, QRCodeOptions } from 'qrcode';
  export function create(text: string, options?: QRCodeOptions): QRCode;
}
