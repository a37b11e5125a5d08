import { DynamoAuditStore } from '../adapters/dynamo-audit-store';
import { SsmParameterHistory } from '../adapters/ssm-parameter-history';
import { SettingsAudit } from '../core/settings-audit';
import { ENV } from './environment';
import { once } from './once';

/** Composition root of the settings-audit function: SSM's history of the settings parameter, the Audit table. */
export const settingsAudit = /* @__PURE__ */ once(
  () => new SettingsAudit(new SsmParameterHistory(), new DynamoAuditStore()),
);

/** The settings parameter this deployment reads (set in AWS only; locally settings come from the environment). */
export const settingsParameterName = () => process.env[ENV.settingsParameter];
