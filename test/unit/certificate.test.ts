import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import {
  certificateQrPayload,
  encodable,
  QR_RECEIPT_MAX_BYTES,
  renderCertificate,
} from '../../shared/core/certificate';
import type { Receipt } from '../../shared/core/receipt';

const receipt: Receipt = {
  v: 1,
  entry: '{"id":"x","v":1}',
  index: 4,
  treeSize: 9,
  inclusionProof: ['JY9Ts0SyJY9Ts0SyJY9Ts0SyJY9Ts0SyJY9Ts0SyJY8='],
  checkpoint:
    'stempel.test/log\n9\nKyIG3NYDKyIG3NYDKyIG3NYDKyIG3NYDKyIG3NYDKyI=\n\n— stempel.test/log AAAA\n',
  anchor: { checkpoint: 'c', consistencyProof: [], timestamps: [{ tsa: 't', token: 'x' }] },
};

describe('the certificate (core)', () => {
  it('puts the receipt without its anchor in the QR code, and the link when it is too large', () => {
    const small = certificateQrPayload({ receipt, receiptUrl: '/v1/notarizations/x/receipt' });
    expect(small.kind).toBe('receipt');
    const { anchor: _anchor, ...withoutAnchor } = receipt;
    expect(JSON.parse(small.text)).toEqual(withoutAnchor);

    const large = certificateQrPayload({
      receipt: { ...receipt, entry: 'e'.repeat(QR_RECEIPT_MAX_BYTES) },
      receiptUrl: '/v1/notarizations/x/receipt',
    });
    expect(large).toEqual({ kind: 'link', text: '/v1/notarizations/x/receipt' });
  });

  it('replaces what WinAnsi cannot encode, control characters included, and keeps the rest', async () => {
    const font = await (await PDFDocument.create()).embedFont(StandardFonts.Helvetica);
    expect(encodable(font, 'Prüfbericht – 東京.pdf')).toEqual({
      text: 'Prüfbericht – ??.pdf',
      replaced: true,
    });
    expect(encodable(font, 'a\u0000b\tc 😀')).toEqual({ text: 'a?b?c ?', replaced: true });
    expect(encodable(font, 'Café €5')).toEqual({ text: 'Café €5', replaced: false });
  });

  it('renders one page, with the full name in the title, and the same bytes each time', async () => {
    const input = {
      id: '5e202677-1184-8a23-a315-7fee2c987e57',
      name: 'Prüfbericht – 東京.pdf',
      sha256: 'ab'.repeat(32),
      receivedAt: '2026-11-27T01:00:00.000Z',
      receipt,
      verifierKey: 'stempel.test/log+0123abcd+AQ'.padEnd(80, 'A'),
      receiptUrl: '/v1/notarizations/5e202677-1184-8a23-a315-7fee2c987e57/receipt',
    };
    const pdf = await renderCertificate(input);
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).toContain('Prüfbericht – 東京.pdf');
    expect(Buffer.from(await renderCertificate(input)).equals(Buffer.from(pdf))).toBe(true);
  });
});
