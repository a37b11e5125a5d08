import type { Settings } from '../core/settings';

/** Where runtime configuration comes from: SSM Parameter Store in AWS, the environment locally. */
export interface SettingsSource {
  load(): Promise<Settings>;
}
