import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { type Settings, settingsSchema } from '../core/settings';
import type { SettingsSource } from '../ports/settings-source';

/**
 * Configuration as one JSON String parameter in SSM Parameter Store, read with
 * Powertools Parameters and cached for five minutes, so a change reaches every
 * function within that time without a redeploy.
 */
export class SsmSettings implements SettingsSource {
  constructor(
    private readonly parameterName: string,
    private readonly maxAgeSeconds = 300,
  ) {}

  async load(): Promise<Settings> {
    const raw = await getParameter(this.parameterName, { transform: 'json', maxAge: this.maxAgeSeconds });
    return settingsSchema.parse(raw);
  }
}
