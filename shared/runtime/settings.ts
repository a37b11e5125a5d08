import { EnvSettings } from '../adapters/env-settings';
import { SsmSettings } from '../adapters/ssm-settings';
import { ENV } from './environment';
import { once } from './once';

/** SSM Parameter Store in AWS, the environment (and `.env`) locally. */
export const settingsSource = /* @__PURE__ */ once(() => {
  const parameter = process.env[ENV.settingsParameter];
  return parameter ? new SsmSettings(parameter) : new EnvSettings();
});

export const settings = () => settingsSource().load();

export const maxBodyBytes = async () => (await settings()).maxBodyBytes;

/** The log's origin is configuration, read once per process (a change needs a new key name anyway). */
export const logOrigin = /* @__PURE__ */ once(async () => (await settings()).logOrigin);

export const auditLogOrigin = /* @__PURE__ */ once(async () => (await settings()).auditLogOrigin);
