import { CustomResource, type RemovalPolicy } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ParameterTier, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { TsaCertificateProperties } from '../functions/tsa-certificate';
import { StempelFunction } from './functions';
import { acknowledgeCertificateIssuer, acknowledgeProviderFramework } from './nag';
import { allow, tsaCertificatePolicies } from './permissions';

/** How long the stack's CA certificate is valid: it outlives every TSA certificate it issues. */
export const TSA_CA_VALIDITY_DAYS = 20 * 365;
/** How long a TSA certificate of the stack's CA is valid (RFC 3161 tokens are checked against it). */
export const TSA_CERTIFICATE_VALIDITY_DAYS = 10 * 365;

/** SSM Standard String parameters hold up to 4 KB; Advanced ones up to 8 KB. */
const STANDARD_PARAMETER_LIMIT = 4096;

export interface TsaCertificatesProps {
  readonly stage: string;
  /** The TSA's key (KMS, SIGN_VERIFY): what the TSA certificate certifies. */
  readonly tsaKey: IKey;
  /** The stack's CA key; absent when the operator imports a chain. */
  readonly caKey?: IKey;
  /** The chain from the operator's CA, PEM, TSA certificate first; exactly when there is no CA key. */
  readonly importedChainPem?: string;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The TSA's certificate chain, in the SSM String parameter
 * `/stempel/<stage>/tsa-certificates` (PEM, TSA certificate first) that the
 * tsa function serves and embeds in its tokens.
 *
 * Either the operator imports a chain from a CA of their own (stage config
 * `tsaCertificateChainPem`), which goes into the parameter as it is; or the
 * stack is its own CA: a CloudFormation custom resource
 * (functions/tsa-certificate.ts, behind the CDK Provider framework) issues a
 * self-signed "Stempel <stage> TSA CA" certificate for the CA key and a
 * "Stempel <stage> TSA" certificate for the TSA key, both signed in KMS, on
 * the first deployment and whenever its properties change.
 *
 * @example
 * const { chainParameter } = new TsaCertificates(this, 'TsaCertificates', { stage: 'dev', tsaKey, caKey, logRetention, logRemovalPolicy });
 */
export class TsaCertificates extends Construct {
  readonly chainParameter: StringParameter;
  /** The role of the function that issues the chain (the CA key's only user); absent for an imported chain. */
  readonly issuerRole?: IRole;
  /** The custom resource that issues the chain; absent for an imported chain. */
  readonly chain?: CustomResource;

  constructor(scope: Construct, id: string, props: TsaCertificatesProps) {
    super(scope, id);
    if (Boolean(props.caKey) === Boolean(props.importedChainPem))
      throw new Error('the TSA chain is either imported (PEM) or issued by the stack CA key, exactly one');

    const parameter = (stringValue: string, tier: ParameterTier) =>
      new StringParameter(this, 'Chain', {
        parameterName: `/stempel/${props.stage}/tsa-certificates`,
        description: `Stempel ${props.stage}: the RFC 3161 TSA certificate chain (PEM, TSA certificate first)`,
        stringValue,
        tier,
      });

    if (props.importedChainPem) {
      const pem = props.importedChainPem;
      this.chainParameter = parameter(
        pem,
        pem.length > STANDARD_PARAMETER_LIMIT ? ParameterTier.ADVANCED : ParameterTier.STANDARD,
      );
      return;
    }
    const caKey = props.caKey as IKey;

    const issuer = new StempelFunction(this, 'Issuer', {
      name: 'tsa-certificate',
      environment: {},
      statements: tsaCertificatePolicies(props.tsaKey, caKey),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    acknowledgeCertificateIssuer(issuer.fn, issuer.role);
    this.issuerRole = issuer.role;

    // The framework's own function (it relays CloudFormation's request to the issuer): its own role
    // and log group, instead of AWSLambdaBasicExecutionRole and a log group that never expires.
    const frameworkLogs = new LogGroup(this, 'ProviderLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const frameworkRole = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Stempel ${props.stage} TSA certificate provider (CDK custom resource framework)`,
    });
    frameworkRole.addToPrincipalPolicy(
      allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [frameworkLogs.logGroupArn]),
    );
    const provider = new Provider(this, 'Provider', {
      onEventHandler: issuer.fn,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    // The relay's memory, stated rather than left to Lambda's default (it runs once per deployment).
    const relay = provider.node.findChild('framework-onEvent').node.defaultChild;
    if (!(relay instanceof CfnFunction))
      throw new Error('the Provider framework has no framework-onEvent function');
    relay.memorySize = 256;
    acknowledgeProviderFramework(relay, frameworkRole, issuer.fn);

    const properties: TsaCertificateProperties = {
      CaKeyId: caKey.keyId,
      TsaKeyId: props.tsaKey.keyId,
      CaName: `Stempel ${props.stage} TSA CA`,
      TsaName: `Stempel ${props.stage} TSA`,
      CaValidityDays: String(TSA_CA_VALIDITY_DAYS),
      TsaValidityDays: String(TSA_CERTIFICATE_VALIDITY_DAYS),
    };
    this.chain = new CustomResource(this, 'Issued', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::StempelTsaCertificateChain',
      properties: { ...properties },
    });
    // Both keys' policies must name the issuer's role before it asks for their public keys and signatures.
    this.chain.node.addDependency(props.tsaKey, caKey);
    // Our own CA's chain (two certificates) is about 1.7 KB of PEM.
    this.chainParameter = parameter(this.chain.getAttString('ChainPem'), ParameterTier.STANDARD);
  }
}
