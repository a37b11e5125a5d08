import { App, type Stack, Validations } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { stageConfig } from '../../lib/stage-config';
import { StempelStack } from '../../lib/stempel-stack';
import { importedChainPem, nagFindings, type Synthesized, synthStempel } from './synth';

/** Every acknowledgement recorded in the stack: rule id, the construct it is on, and why. */
function acknowledgements(stack: Stack) {
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          path: c.node.path,
          reason,
        })),
      ),
  );
}

const CASES = [
  { stage: 'dev', corsOrigins: undefined, alarmEmails: undefined, importedChain: false },
  {
    stage: 'prod',
    corsOrigins: 'https://console.example.com,https://admin.example.com',
    alarmEmails: 'ops@example.com',
    importedChain: false,
  },
  { stage: 'dev', corsOrigins: 'http://localhost:5173', alarmEmails: undefined, importedChain: false },
  {
    stage: 'prod',
    corsOrigins: undefined,
    alarmEmails: 'ops@example.com,oncall@example.com',
    importedChain: true,
  },
] as const;

describe.each(CASES)(
  'cdk-nag on $stage (CORS: $corsOrigins, alarm emails: $alarmEmails, imported TSA chain: $importedChain)',
  ({ stage, corsOrigins, alarmEmails, importedChain }) => {
    let synthesized: Synthesized;
    beforeAll(() => {
      synthesized = synthStempel({
        stage,
        corsOrigins,
        alarmEmails,
        ...(importedChain ? { tsaCertificateChainPem: importedChainPem() } : {}),
      });
    }, 120_000);

    it('reports no unacknowledged AwsSolutions or Serverless error', () => {
      const errors = nagFindings(synthesized.stack).filter((f) => f.severity === 'error');
      expect(errors).toEqual([]);
    });

    it('reports no unacknowledged AwsSolutions or Serverless warning', () => {
      const warnings = nagFindings(synthesized.stack).filter((f) => f.severity !== 'error');
      expect(warnings).toEqual([]);
    });

    it('gives every acknowledgement a rule id of these packs and a real reason', () => {
      const acks = acknowledgements(synthesized.stack);
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        expect(ack.id).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
        expect(ack.reason.length, `${ack.id} on ${ack.path}`).toBeGreaterThanOrEqual(80);
      }
    });
  },
);

describe('acknowledgements', () => {
  it('each one silences a finding that really occurs on its construct (none is stale)', () => {
    const { stack } = synthStempel({
      corsOrigins: 'https://console.example.com',
      alarmEmails: 'ops@example.com',
    });
    const acks = acknowledgements(stack);

    // The same stack with every acknowledgement dropped: what would cdk-nag say?
    const ignore = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    let bare: Stack;
    try {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      bare = new StempelStack(app, 'Stempel-dev', {
        config: stageConfig('dev', {
          corsOrigins: 'https://console.example.com',
          alarmEmails: 'ops@example.com',
        }),
      });
      app.synth();
    } finally {
      ignore.mockRestore();
    }
    const findings = nagFindings(bare);

    for (const ack of acks) {
      const silenced = findings.some(
        (f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
      );
      expect(silenced, `${ack.id} on ${ack.path} matches no finding`).toBe(true);
    }
    // And nothing is left that the acknowledgements do not cover.
    const uncovered = findings.filter(
      (f) => !acks.some((a) => a.id === f.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`))),
    );
    expect(uncovered).toEqual([]);
  }, 120_000);
});
