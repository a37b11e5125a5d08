import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeBackupServiceRole } from './nag';
import type { BackupConfig } from './stage-config';

export interface StempelBackupProps {
  readonly stage: string;
  readonly tables: readonly ITable[];
  /** The key the tables are encrypted with: the backup role reads through it. */
  readonly tableKey: IKey;
  readonly config: BackupConfig;
}

/**
 * AWS Backup of every table, on top of their point-in-time recovery (35
 * days, lib/data.ts): a daily rule and, when the stage keeps them, a monthly
 * one, into a vault of its own encrypted with a KMS key of its own. With
 * `vaultLock` the vault is locked: no one (the account root included) can
 * delete a recovery point before the lock's minimum retention, and once the
 * grace period (`changeableForDays`) has passed the lock itself cannot be
 * removed. docs/operations.md says how to restore.
 *
 * @example
 * new StempelBackup(this, 'Backup', { stage: 'prod', tables, config: stageConfig('prod').backup });
 */
export class StempelBackup extends Construct {
  readonly vault: BackupVault;
  readonly plan: BackupPlan;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: StempelBackupProps) {
    super(scope, id);
    const { dailyRetentionDays, monthlyRetentionDays, vaultLock } = props.config;
    if (vaultLock && vaultLock.minRetentionDays > dailyRetentionDays)
      throw new Error(
        `backup vault lock: minRetentionDays (${vaultLock.minRetentionDays}) exceeds the daily rule's retention (${dailyRetentionDays} days), so AWS Backup would refuse every daily recovery point`,
      );

    this.key = new Key(this, 'VaultKey', {
      description: `Stempel ${props.stage}: encrypts the backup vault's recovery points`,
      enableKeyRotation: true,
      // Recovery points outlive the stack: their key must too.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new BackupVault(this, 'Vault', {
      backupVaultName: `stempel-${props.stage}-tables`,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(vaultLock
        ? {
            lockConfiguration: {
              minRetention: Duration.days(vaultLock.minRetentionDays),
              changeableFor: Duration.days(vaultLock.changeableForDays),
            },
          }
        : {}),
    });
    this.plan = new BackupPlan(this, 'Plan', {
      backupPlanName: `stempel-${props.stage}-tables`,
      backupVault: this.vault,
    });
    this.plan.addRule(
      new BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: Schedule.cron({ hour: '3', minute: '0' }),
        deleteAfter: Duration.days(dailyRetentionDays),
      }),
    );
    if (monthlyRetentionDays > 0)
      this.plan.addRule(
        new BackupPlanRule({
          ruleName: 'Monthly',
          scheduleExpression: Schedule.cron({ day: '1', hour: '4', minute: '0' }),
          deleteAfter: Duration.days(monthlyRetentionDays),
        }),
      );
    const selection = this.plan.addSelection('Tables', {
      resources: props.tables.map((table) => BackupResource.fromDynamoDbTable(table)),
    });
    // Named actions only (no `kms:GenerateDataKey*`): read the tables' data, write recovery points to the vault.
    props.tableKey.grant(selection, 'kms:Decrypt', 'kms:DescribeKey');
    this.key.grant(selection, 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    acknowledgeBackupServiceRole(selection);
  }
}
