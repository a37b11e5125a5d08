import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HealthCheck } from '../ports/health-check';

/** Healthy when the table exists and is ACTIVE. */
export class DynamoHealthCheck implements HealthCheck {
  readonly name: string;

  constructor(
    name: string,
    private readonly tableName: string,
    private readonly client = new DynamoDBClient({}),
  ) {
    this.name = name;
  }

  async check(): Promise<void> {
    const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
    if (Table?.TableStatus !== 'ACTIVE') throw new Error(`table is ${Table?.TableStatus}`);
  }
}
