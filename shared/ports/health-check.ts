/** One backend the service depends on; `check` rejects when it is not usable. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<void>;
}
