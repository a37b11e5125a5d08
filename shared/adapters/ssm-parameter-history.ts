import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ParameterHistory, ParameterVersion } from '../ports/parameter-history';

/** A parameter's versions from SSM Parameter Store (it keeps the last 100). */
export class SsmParameterHistory implements ParameterHistory {
  constructor(private readonly ssm = new SSMClient({})) {}

  async versions(name: string): Promise<readonly ParameterVersion[]> {
    const versions: ParameterVersion[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.ssm.send(
        new GetParameterHistoryCommand({ Name: name, WithDecryption: false, MaxResults: 50, NextToken }),
      );
      for (const p of page.Parameters ?? []) {
        if (p.Version === undefined || p.Value === undefined || p.LastModifiedDate === undefined) continue;
        versions.push({
          version: p.Version,
          value: p.Value,
          modifiedAt: p.LastModifiedDate,
          ...(p.LastModifiedUser ? { modifiedBy: p.LastModifiedUser } : {}),
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return versions.sort((a, b) => a.version - b.version);
  }
}
