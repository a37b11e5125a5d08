import { Attribute } from '@peculiar/asn1-cms';
import {
  AsnArray,
  AsnIntegerArrayBufferConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, GeneralNames } from '@peculiar/asn1-x509';

/**
 * ASN.1 types of CMS time-stamp tokens that asn1-cms and asn1-tsp do not
 * have (RFC 2634 and RFC 5035 signing certificates, RFC 4055 PSS parameters),
 * shared by the issuer (tsa.ts) and the verifier (tsa-verify.ts). The
 * decorators are applied as plain calls: this project does not compile with
 * experimentalDecorators.
 */

/** IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber } */
export class IssuerSerial {
  issuer = new GeneralNames();
  serialNumber = new ArrayBuffer(0);
  constructor(params: Partial<IssuerSerial> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(IssuerSerial);
AsnProp({ type: GeneralNames })(IssuerSerial.prototype, 'issuer');
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(
  IssuerSerial.prototype,
  'serialNumber',
);

/** ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial IssuerSerial OPTIONAL } */
export class EssCertId {
  certHash = new OctetString();
  issuerSerial?: IssuerSerial;
}
AsnType({ type: AsnTypeTypes.Sequence })(EssCertId);
AsnProp({ type: OctetString })(EssCertId.prototype, 'certHash');
AsnProp({ type: IssuerSerial, optional: true })(EssCertId.prototype, 'issuerSerial');

/** ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING, issuerSerial OPTIONAL } */
export class EssCertIdV2 {
  hashAlgorithm?: AlgorithmIdentifier;
  certHash = new OctetString();
  issuerSerial?: IssuerSerial;
  constructor(params: Partial<EssCertIdV2> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(EssCertIdV2);
AsnProp({ type: AlgorithmIdentifier, optional: true })(EssCertIdV2.prototype, 'hashAlgorithm');
AsnProp({ type: OctetString })(EssCertIdV2.prototype, 'certHash');
AsnProp({ type: IssuerSerial, optional: true })(EssCertIdV2.prototype, 'issuerSerial');

/** SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL (ignored) } */
export class SigningCertificate {
  certs: EssCertId[] = [];
}
AsnType({ type: AsnTypeTypes.Sequence })(SigningCertificate);
AsnProp({ type: EssCertId, repeated: 'sequence' })(SigningCertificate.prototype, 'certs');
export class SigningCertificateV2 {
  certs: EssCertIdV2[] = [];
  constructor(params: Partial<SigningCertificateV2> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(SigningCertificateV2);
AsnProp({ type: EssCertIdV2, repeated: 'sequence' })(SigningCertificateV2.prototype, 'certs');

/** RSASSA-PSS-params (RFC 4055): the defaults are SHA-1 ones, which pssParameters refuses. */
export class RsaSsaPssParams {
  hashAlgorithm?: AlgorithmIdentifier;
  maskGenAlgorithm?: AlgorithmIdentifier;
  saltLength = 20;
  trailerField = 1;
}
AsnType({ type: AsnTypeTypes.Sequence })(RsaSsaPssParams);
AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })(
  RsaSsaPssParams.prototype,
  'hashAlgorithm',
);
AsnProp({ type: AlgorithmIdentifier, context: 1, optional: true })(
  RsaSsaPssParams.prototype,
  'maskGenAlgorithm',
);
AsnProp({ type: AsnPropTypes.Integer, context: 2, defaultValue: 20 })(
  RsaSsaPssParams.prototype,
  'saltLength',
);
AsnProp({ type: AsnPropTypes.Integer, context: 3, defaultValue: 1 })(
  RsaSsaPssParams.prototype,
  'trailerField',
);

/** SignedAttributes as the signature covers them: SET OF Attribute with its universal tag. */
export class SignedAttributesSet extends AsnArray<Attribute> {}
AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })(SignedAttributesSet);
