import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import { create as createQr } from 'qrcode/lib/core/qrcode.js';
import type { Receipt } from './receipt';

/** What a notarization certificate shows. */
export interface CertificateInput {
  readonly id: string;
  readonly name?: string;
  readonly sha256: string;
  /** RFC 3339 UTC. */
  readonly receivedAt: string;
  /** The receipt of the sealed notarization (as GET /v1/notarizations/{id}/receipt serves it). */
  readonly receipt: Receipt;
  /** The log's verifier key, as GET /v1/log/key serves it. */
  readonly verifierKey: string;
  /** The path (or URL) of the receipt, carried by the QR code when the receipt itself does not fit. */
  readonly receiptUrl: string;
}

/**
 * The QR code's payload: the receipt itself as compact JSON, without its
 * external anchor (the anchor is optional and can be fetched from the receipt
 * route), so that a scan can be checked offline with the document and the
 * verifier key; the receipt's URL if even that does not fit in a QR code.
 */
export function certificateQrPayload(input: Pick<CertificateInput, 'receipt' | 'receiptUrl'>): {
  readonly kind: 'receipt' | 'link';
  readonly text: string;
} {
  const { anchor: _anchor, ...receipt } = input.receipt;
  const text = JSON.stringify(receipt);
  // Version 40 at error correction level L holds 2,953 bytes; stay below with margin.
  return Buffer.byteLength(text, 'utf8') <= QR_RECEIPT_MAX_BYTES
    ? { kind: 'receipt', text }
    : { kind: 'link', text: input.receiptUrl };
}

/** Largest receipt carried in the QR code itself (bytes of JSON). */
export const QR_RECEIPT_MAX_BYTES = 2200;

/** The marker for a character the PDF standard fonts (WinAnsi) cannot show. */
export const REPLACEMENT = '?';

/**
 * `text` with every character the font cannot encode replaced by `?` (the
 * standard fonts encode WinAnsi only), control characters included, so that
 * drawing never throws; `replaced` says whether anything was.
 */
export function encodable(
  font: PDFFont,
  text: string,
): { readonly text: string; readonly replaced: boolean } {
  const supported = new Set(font.getCharacterSet());
  let replaced = false;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0x20 && cp !== 0x7f && supported.has(cp)) out += ch;
    else {
      out += REPLACEMENT;
      replaced = true;
    }
  }
  return { text: out, replaced };
}

const PAGE = { width: 595.28, height: 841.89 } as const; // A4
const MARGIN = 56;
const MONO_SIZE = 8.5;
const LABEL_SIZE = 9;
const INK = rgb(0.1, 0.1, 0.1);
const GREY = rgb(0.4, 0.4, 0.4);

/** Splits `text` into lines no wider than `width` at `size` (by characters: for monospaced values). */
const wrap = (font: PDFFont, text: string, size: number, width: number): string[] => {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const ch of paragraph) {
      if (line && font.widthOfTextAtSize(line + ch, size) > width) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
    lines.push(line);
  }
  return lines;
};

class Writer {
  y = PAGE.height - MARGIN;
  replaced = false;

  constructor(
    private readonly page: PDFPage,
    private readonly fonts: { readonly sans: PDFFont; readonly bold: PDFFont; readonly mono: PDFFont },
    private readonly width: number,
  ) {}

  text(value: string, font: PDFFont, size: number, color = INK): void {
    const safe = encodable(font, value);
    this.replaced ||= safe.replaced;
    for (const line of wrap(font, safe.text, size, this.width)) {
      this.y -= size * 1.3;
      this.page.drawText(line, { x: MARGIN, y: this.y, size, font, color });
    }
  }

  field(label: string, value: string): void {
    this.y -= 6;
    this.text(label, this.fonts.bold, LABEL_SIZE, GREY);
    this.text(value, this.fonts.mono, MONO_SIZE);
  }
}

/**
 * A one-page PDF certificate of a sealed notarization: the document's name and
 * SHA-256, when it was received, its place in the log (index, tree size), the
 * signed checkpoint, the log's verifier key, and a QR code with the receipt
 * (or its URL: certificateQrPayload). Only the PDF standard fonts are used;
 * characters they cannot show are replaced by `?` and the page says so.
 */
export async function renderCertificate(input: CertificateInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const title = `Notarization certificate ${input.id}`;
  doc.setTitle(input.name ? `${title}: ${input.name}` : title);
  doc.setProducer('Stempel');
  doc.setCreator('Stempel');
  // Fixed dates: the same notarization always gives the same bytes.
  const sealed = new Date(input.receivedAt);
  doc.setCreationDate(sealed);
  doc.setModificationDate(sealed);
  const page = doc.addPage([PAGE.width, PAGE.height]);
  const fonts = {
    sans: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    mono: await doc.embedFont(StandardFonts.Courier),
  };
  const w = new Writer(page, fonts, PAGE.width - 2 * MARGIN);

  w.text('Stempel notarization certificate', fonts.bold, 18);
  w.y -= 4;
  w.text(
    'This document was notarized: its SHA-256 is an entry of an append-only Merkle log (RFC 9162) under the signed checkpoint below.',
    fonts.sans,
    9,
    GREY,
  );
  w.field('Notarization', input.id);
  w.field('Document name', input.name ?? '(none given)');
  w.field('SHA-256', input.sha256);
  w.field('Received at (UTC)', input.receivedAt);
  w.field('Log index', String(input.receipt.index));
  w.field('Tree size', String(input.receipt.treeSize));
  w.field('Checkpoint (signed note)', input.receipt.checkpoint.replace(/\n+$/, ''));
  w.field('Log verifier key (GET /v1/log/key)', input.verifierKey);

  const qr = certificateQrPayload(input);
  const code = createQr(qr.text, { errorCorrectionLevel: 'L' });
  const modules = code.modules.size;
  const quiet = 4;
  const side = Math.min(230, w.y - MARGIN - 40);
  const cell = side / (modules + 2 * quiet);
  const left = MARGIN;
  const top = w.y - 16;
  for (let row = 0; row < modules; row++) {
    for (let col = 0; col < modules; col++) {
      if (!code.modules.get(row, col)) continue;
      page.drawRectangle({
        x: left + (col + quiet) * cell,
        y: top - (row + quiet + 1) * cell,
        width: cell,
        height: cell,
        color: rgb(0, 0, 0),
      });
    }
  }
  w.y = top - side;
  w.text(
    qr.kind === 'receipt'
      ? 'The QR code carries the receipt (JSON): check it offline with the document and the verifier key (stempel verify).'
      : `The QR code carries the link to the receipt: ${qr.text}`,
    fonts.sans,
    8,
    GREY,
  );
  if (w.replaced)
    w.text(
      `Characters the PDF standard fonts cannot show are printed as "${REPLACEMENT}"; the document name is complete in the PDF's title.`,
      fonts.sans,
      8,
      GREY,
    );
  return doc.save({ useObjectStreams: false });
}
