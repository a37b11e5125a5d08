/** One stored version of a configuration parameter. */
export interface ParameterVersion {
  readonly version: number;
  readonly value: string;
  readonly modifiedAt: Date;
  /** Who wrote it (an IAM principal's ARN), where the store says. */
  readonly modifiedBy?: string;
}

/** The versions of a configuration parameter, as its store keeps them. */
export interface ParameterHistory {
  /** Every version still kept, oldest first. */
  versions(name: string): Promise<readonly ParameterVersion[]>;
}
